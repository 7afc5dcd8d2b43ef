import type { Request, Router } from "express";
import { AuthError, isAuthError } from "../../errors.js";
import { normalizeEmail } from "../../core/emails.js";
import type { UserRecord } from "../../types.js";
import type { HttpContext } from "../context.js";
import { emailField, grantTypeField, nameField, passwordField, validate } from "../input.js";
import { linksFor } from "../links.js";

/**
 * POST /register, /login, /token (JWT mode), /logout, /refresh; GET /me, /csrf (session mode).
 * The rules live in core/accounts.ts; the strategy says what a sign-in hands out.
 */
export function accountsRoutes(router: Router, ctx: HttpContext): void {
  const { accounts, strategy, csrf, serialize, body, formOrJsonBody, signedIn, emit, opts } = ctx;

  router.post("/register", body, async (req, res) => {
    const input = await validate(req, [emailField(), passwordField(), nameField()]);
    const user = await accounts.register({
      email: input.email as string,
      password: input.password as string,
      name: (input.name as string | undefined) ?? null,
    }, req.ip);
    emit("onRegister", req, { user: serialize(user) });
    if (ctx.notifier.enabled) {
      // The account exists now, whatever happens to the email: a failure is reported and the
      // user can ask again with POST /request-verify-email.
      ctx.verification.request(user, linksFor(req, opts).verifyEmail).catch(ctx.report("sending the verification email"));
    }
    const signIn = opts.signInOnRegister ? await strategy.signIn(req, user) : {};
    res.status(201).json({ user: serialize(user), ...signIn });
  });

  /** Checks credentials (one answer for unknown email and wrong password) and reports failures. */
  const authenticate = async (req: Request, rawEmail: string, password: string): Promise<UserRecord> => {
    const email = normalizeEmail(rawEmail);
    return accounts.authenticate(email, password, req.ip).catch((err: unknown) => {
      if (isAuthError(err, "INVALID_CREDENTIALS")) emit("onLoginFailed", req, { email });
      throw err;
    });
  };

  router.post("/login", body, async (req, res) => {
    const input = await validate(req, [emailField(), passwordField()]);
    const user = await authenticate(req, input.email as string, input.password as string);
    const signIn = await strategy.signIn(req, user);
    emit("onLogin", req, { user: serialize(user) });
    res.json({ user: serialize(user), ...signIn });
  });

  if (opts.mode === "jwt") {
    // OAuth 2.0's password grant, for first-party clients only (RFC 9700 forbids it for third parties).
    router.post("/token", formOrJsonBody, async (req, res) => {
      const input = await validate(req, [emailField("username"), passwordField(), grantTypeField()]);
      const user = await authenticate(req, input.username as string, input.password as string);
      const pair = await strategy.signIn(req, user);
      emit("onLogin", req, { user: serialize(user) });
      res.setHeader("Pragma", "no-cache");
      res.json(pair);
    });
  }

  router.post("/logout", signedIn, body, async (req, res) => {
    await strategy.signOut(req, res);
    emit("onLogout", req, { user: req.user! });
    res.status(204).end();
  });

  // Session mode: the session cookie says who refreshes. JWT mode: the refresh token in the body.
  const refreshGuards = opts.mode === "session" ? [signedIn] : [body];
  router.post("/refresh", ...refreshGuards, async (req, res) => {
    res.json(await strategy.refresh(req));
  });

  router.get("/me", signedIn, (req, res) => {
    res.json({ user: req.user });
  });

  if (opts.mode === "session") {
    router.get("/csrf", (req, res) => {
      if (!req.session) throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
      res.json({ csrfToken: csrf.token(req) });
    });
  }
}
