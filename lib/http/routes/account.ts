import { AuthError } from "../../errors.js";
import type { RouteHandler, RouteTable } from "../route-table.js";
import type { Services } from "../wiring.js";
import { fields } from "../input.js";
import { linksFor } from "../links.js";
import { requestContext } from "../request-context.js";

/**
 * POST /account/change-password, /account/change-email, GET and POST
 * /account/confirm-email-change, DELETE /account. The rules live in core/account.ts.
 */
export function accountRoutes(routes: RouteTable, services: Services): void {
  const { account, strategy, serialize, opts } = services;
  const jwt = opts.mode === "jwt";

  routes.route(
    {
      method: "post",
      path: "/account/change-password",
      summary: "Change the password",
      description: jwt
        ? "Every refresh token and access token of the user ends; a fresh pair comes back."
        : "This session moves to a new id (read the new CSRF token from GET /csrf); every other session ends.",
      auth: true,
      recentAuth: true,
      body: [fields.password("currentPassword"), fields.newPassword("newPassword", opts.password)],
      success: jwt ? { status: 200, description: "A fresh token pair.", shape: "TokenPair" } : { status: 204, description: "Changed." },
      errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async function changePassword(req, res, input) {
      // A privilege change. Session mode: this session moves to a new id, answer 204.
      // JWT mode: a fresh pair replaces this one, answer 200.
      const pair = await account.changePassword(
        req.user!.id,
        { current: input.currentPassword as string, next: input.newPassword as string },
        strategy.currentId(req),
        requestContext(req),
        (user) => strategy.afterPasswordChange(req, user),
      );
      if (pair) res.json(pair);
      else res.status(204).end();
    },
  );

  routes.route(
    {
      method: "post",
      path: "/account/change-email",
      summary: "Start an email change",
      description: "Sends a confirmation link to the new address and a notice to the old one. The same answer whether or not the new address is taken.",
      auth: true,
      recentAuth: true,
      body: [fields.email("newEmail"), fields.password()],
      success: { status: 202, description: "Check the new inbox." },
      errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async function changeEmail(req, res, input) {
      await account.requestEmailChange(req.user!.id, input.password as string, input.newEmail as string, linksFor(req, opts).confirmEmailChange, requestContext(req));
      res.status(202).end();
    },
  );

  const confirm: (token: string) => RouteHandler = (token) => async (req, res) => {
    const user = await account.confirmEmailChange(token, requestContext(req), (changed) => strategy.updateUser(req, changed));
    res.json({ user: serialize(user) });
  };
  const confirmErrors = ["INVALID_TOKEN", "EMAIL_ALREADY_REGISTERED", "TOO_MANY_REQUESTS"] as const;

  routes.route(
    {
      method: "get",
      path: "/account/confirm-email-change",
      summary: "Confirm an email change (the emailed link)",
      description: "Answers with `Referrer-Policy: no-referrer`.",
      query: [{ name: "token", description: "The token from the email (exactly one)." }],
      success: { status: 200, description: "The user with the new, verified email.", shape: "UserAnswer" },
      errors: [...confirmErrors],
    },
    async function confirmEmailChangeLink(req, res, input) {
      res.setHeader("Referrer-Policy", "no-referrer");
      const token = req.query.token;
      if (typeof token !== "string" || token.length > 256) throw new AuthError("INVALID_TOKEN");
      await confirm(token)(req, res, input);
    },
  );

  routes.route(
    {
      method: "post",
      path: "/account/confirm-email-change",
      summary: "Confirm an email change",
      body: [fields.token()],
      success: { status: 200, description: "The user with the new, verified email.", shape: "UserAnswer" },
      errors: [...confirmErrors, "VALIDATION_FAILED"],
    },
    async function confirmEmailChange(req, res, input) {
      await confirm(input.token as string)(req, res, input);
    },
  );

  routes.route(
    {
      method: "delete",
      path: "/account",
      summary: "Delete the account",
      description: "Removes the user, its second factor, every session and token; the email can register again.",
      auth: true,
      recentAuth: true,
      body: [fields.password()],
      success: { status: 204, description: "Deleted." },
      errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async function deleteAccount(req, res, input) {
      await account.delete(req.user!.id, input.password as string, requestContext(req), () => strategy.signOut(req, res));
      res.status(204).end();
    },
  );
}
