import type { Request, Response, Router } from "express";
import { AuthError } from "../../errors.js";
import type { HttpContext } from "../context.js";
import { emailField, passwordField, tokenField, validate } from "../input.js";
import { linksFor } from "../links.js";

/**
 * POST /account/change-password, /account/change-email, GET and POST
 * /account/confirm-email-change, DELETE /account. The rules live in core/account.ts.
 */
export function accountRoutes(router: Router, ctx: HttpContext): void {
  const { account, strategy, serialize, body, signedIn, emit, opts } = ctx;

  router.post("/account/change-password", signedIn, body, async (req, res) => {
    const input = await validate(req, [passwordField("currentPassword"), passwordField("newPassword")]);
    const user = await account.changePassword(req.user!.id, input.currentPassword as string, input.newPassword as string, strategy.currentId(req), req.ip);
    // A privilege change. Session mode: this session moves to a new id (the new CSRF token comes
    // from GET /csrf), answer 204. JWT mode: a fresh pair replaces this one, answer 200.
    const pair = await strategy.afterPasswordChange(req, user);
    emit("onPasswordChanged", req, { user: serialize(user) });
    if (pair) res.json(pair);
    else res.status(204).end();
  });

  router.post("/account/change-email", signedIn, body, async (req, res) => {
    const input = await validate(req, [emailField("newEmail"), passwordField()]);
    await account.requestEmailChange(req.user!.id, input.password as string, input.newEmail as string, linksFor(req, opts).confirmEmailChange, req.ip);
    // The same answer whether or not the new address is taken.
    res.status(202).end();
  });

  const confirm = async (req: Request, res: Response, token: string) => {
    const { user, oldEmail } = await account.confirmEmailChange(token, req.ip);
    await strategy.updateUser(req, user);
    emit("onEmailChanged", req, { user: serialize(user), oldEmail });
    res.json({ user: serialize(user) });
  };

  router.get("/account/confirm-email-change", async (req, res) => {
    res.setHeader("Referrer-Policy", "no-referrer");
    const token = req.query.token;
    if (typeof token !== "string" || token.length > 256) throw new AuthError("INVALID_TOKEN");
    await confirm(req, res, token);
  });

  router.post("/account/confirm-email-change", body, async (req, res) => {
    const input = await validate(req, [tokenField()]);
    await confirm(req, res, input.token as string);
  });

  router.delete("/account", signedIn, body, async (req, res) => {
    const input = await validate(req, [passwordField()]);
    const user = await account.delete(req.user!.id, input.password as string, req.ip);
    await strategy.signOut(req, res);
    emit("onAccountDeleted", req, { user: serialize(user) });
    res.status(204).end();
  });
}
