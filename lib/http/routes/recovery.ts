import type { Api } from "../api.js";
import type { HttpContext } from "../context.js";
import { fields } from "../input.js";
import { linksFor } from "../links.js";

/** POST /forgot-password, /forgot-password/validate, /reset-password. The rules live in core/recovery.ts. */
export function recoveryRoutes(api: Api, ctx: HttpContext): void {
  const { recovery, serialize, emit, opts } = ctx;

  api.route(
    {
      method: "post",
      path: "/forgot-password",
      summary: "Ask for a password-reset email",
      description: "The same answer, in about the same time, whether or not an account has this email; the link goes only to the stored address.",
      body: [fields.email()],
      success: { status: 202, description: "If an account has this email, a link is on its way." },
      errors: ["VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      await recovery.forgot(input.email as string, linksFor(req, opts).resetPassword, req.ip);
      res.status(202).end();
    },
  );

  api.route(
    {
      method: "post",
      path: "/forgot-password/validate",
      summary: "Check a reset token without using it",
      body: [fields.token()],
      success: { status: 200, description: "The token is valid.", shape: "Valid" },
      errors: ["INVALID_TOKEN", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      await recovery.validate(input.token as string, req.ip);
      res.json({ valid: true });
    },
  );

  api.route(
    {
      method: "post",
      path: "/reset-password",
      summary: "Set a new password with a reset token",
      description: "Ends every session (and every refresh token and access token) of the user and sends a notice.",
      body: [fields.token(), fields.password("password", "The new password; the password policy applies.")],
      success: { status: 204, description: "The password is changed." },
      errors: ["INVALID_TOKEN", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      const user = await recovery.reset(input.token as string, input.password as string, req.ip);
      emit("onPasswordReset", req, { user: serialize(user) });
      res.status(204).end();
    },
  );
}
