import type { Request, Response } from "express";
import { AuthError } from "../../errors.js";
import type { Api } from "../api.js";
import type { HttpContext } from "../context.js";
import { fields } from "../input.js";
import { linksFor } from "../links.js";

/**
 * POST /account/change-password, /account/change-email, GET and POST
 * /account/confirm-email-change, DELETE /account. The rules live in core/account.ts.
 */
export function accountRoutes(api: Api, ctx: HttpContext): void {
  const { account, strategy, serialize, emit, opts } = ctx;
  const jwt = opts.mode === "jwt";

  api.route(
    {
      method: "post",
      path: "/account/change-password",
      summary: "Change the password",
      description: jwt
        ? "Every refresh token and access token of the user ends; a fresh pair comes back."
        : "This session moves to a new id (read the new CSRF token from GET /csrf); every other session ends.",
      auth: true,
      body: [fields.password("currentPassword"), fields.password("newPassword", "The password policy applies.")],
      success: jwt ? { status: 200, description: "A fresh token pair.", shape: "TokenPair" } : { status: 204, description: "Changed." },
      errors: ["UNAUTHENTICATED", "CSRF_INVALID", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      const user = await account.changePassword(req.user!.id, input.currentPassword as string, input.newPassword as string, strategy.currentId(req), req.ip);
      // A privilege change. Session mode: this session moves to a new id, answer 204.
      // JWT mode: a fresh pair replaces this one, answer 200.
      const pair = await strategy.afterPasswordChange(req, user);
      emit("onPasswordChanged", req, { user: serialize(user) });
      if (pair) res.json(pair);
      else res.status(204).end();
    },
  );

  api.route(
    {
      method: "post",
      path: "/account/change-email",
      summary: "Start an email change",
      description: "Sends a confirmation link to the new address and a notice to the old one. The same answer whether or not the new address is taken.",
      auth: true,
      body: [fields.email("newEmail"), fields.password()],
      success: { status: 202, description: "Check the new inbox." },
      errors: ["UNAUTHENTICATED", "CSRF_INVALID", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      await account.requestEmailChange(req.user!.id, input.password as string, input.newEmail as string, linksFor(req, opts).confirmEmailChange, req.ip);
      res.status(202).end();
    },
  );

  const confirm = async (req: Request, res: Response, token: string) => {
    const { user, oldEmail } = await account.confirmEmailChange(token, req.ip);
    await strategy.updateUser(req, user);
    emit("onEmailChanged", req, { user: serialize(user), oldEmail });
    res.json({ user: serialize(user) });
  };
  const confirmErrors = ["INVALID_TOKEN", "EMAIL_ALREADY_REGISTERED", "TOO_MANY_REQUESTS"] as const;

  api.route(
    {
      method: "get",
      path: "/account/confirm-email-change",
      summary: "Confirm an email change (the emailed link)",
      description: "Answers with `Referrer-Policy: no-referrer`.",
      query: [{ name: "token", description: "The token from the email (exactly one)." }],
      success: { status: 200, description: "The user with the new, verified email.", shape: "UserAnswer" },
      errors: [...confirmErrors],
    },
    async (req, res) => {
      res.setHeader("Referrer-Policy", "no-referrer");
      const token = req.query.token;
      if (typeof token !== "string" || token.length > 256) throw new AuthError("INVALID_TOKEN");
      await confirm(req, res, token);
    },
  );

  api.route(
    {
      method: "post",
      path: "/account/confirm-email-change",
      summary: "Confirm an email change",
      body: [fields.token()],
      success: { status: 200, description: "The user with the new, verified email.", shape: "UserAnswer" },
      errors: [...confirmErrors, "VALIDATION_FAILED"],
    },
    async (req, res, input) => {
      await confirm(req, res, input.token as string);
    },
  );

  api.route(
    {
      method: "delete",
      path: "/account",
      summary: "Delete the account",
      description: "Removes the user, every session and token; the email can register again.",
      auth: true,
      body: [fields.password()],
      success: { status: 204, description: "Deleted." },
      errors: ["UNAUTHENTICATED", "CSRF_INVALID", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      const user = await account.delete(req.user!.id, input.password as string, req.ip);
      await strategy.signOut(req, res);
      emit("onAccountDeleted", req, { user: serialize(user) });
      res.status(204).end();
    },
  );
}
