import type { Router } from "express";
import { AuthError, isAuthError } from "../../errors.js";
import { normalizeEmail } from "../../core/emails.js";
import type { HttpContext } from "../context.js";
import { emailField, nameField, passwordField, validate } from "../input.js";
import { linksFor } from "../links.js";

/** POST /register, /login, /logout, /refresh; GET /me, /csrf. The rules live in core/accounts.ts. */
export function accountsRoutes(router: Router, ctx: HttpContext): void {
  const { accounts, sessions, csrf, serialize, body, signedIn, emit } = ctx;

  router.post("/register", body, async (req, res) => {
    const input = await validate(req, [emailField(), passwordField(), nameField()]);
    const user = await accounts.register({
      email: input.email as string,
      password: input.password as string,
      name: (input.name as string | undefined) ?? null,
    });
    emit("onRegister", req, { user: serialize(user) });
    if (ctx.notifier.enabled) {
      // The account exists now, whatever happens to the email: a failure is reported and the
      // user can ask again with POST /request-verify-email.
      ctx.verification.request(user, linksFor(req, ctx.opts).verifyEmail).catch(ctx.report("sending the verification email"));
    }
    if (!ctx.opts.signInOnRegister) {
      res.status(201).json({ user: serialize(user) });
      return;
    }
    const csrfToken = await sessions.signIn(req, user);
    res.status(201).json({ user: serialize(user), csrfToken });
  });

  router.post("/login", body, async (req, res) => {
    const input = await validate(req, [emailField(), passwordField()]);
    const email = normalizeEmail(input.email as string);
    const user = await accounts.authenticate(email, input.password as string).catch((err: unknown) => {
      if (isAuthError(err, "INVALID_CREDENTIALS")) emit("onLoginFailed", req, { email });
      throw err;
    });
    const csrfToken = await sessions.signIn(req, user);
    emit("onLogin", req, { user: serialize(user) });
    res.json({ user: serialize(user), csrfToken });
  });

  router.post("/logout", signedIn, async (req, res) => {
    await sessions.signOut(req, res);
    emit("onLogout", req, { user: req.user! });
    res.status(204).end();
  });

  router.post("/refresh", signedIn, async (req, res) => {
    res.json(await sessions.rotate(req));
  });

  router.get("/me", signedIn, (req, res) => {
    res.json({ user: req.user });
  });

  router.get("/csrf", (req, res) => {
    if (!req.session) throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
    res.json({ csrfToken: csrf.token(req) });
  });
}
