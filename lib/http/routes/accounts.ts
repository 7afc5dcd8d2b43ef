import { AuthError, isAuthError } from "../../errors.js";
import { normalizeEmail } from "../../core/emails.js";
import type { UserRecord } from "../../types.js";
import type { Request } from "express";
import type { Api } from "../api.js";
import type { HttpContext } from "../context.js";
import { fields } from "../input.js";
import { linksFor } from "../links.js";

/**
 * POST /register, /login, /token (JWT mode), /logout, /refresh; GET /me, /csrf (session mode).
 * The rules live in core/accounts.ts; the strategy says what a sign-in hands out.
 */
export function accountsRoutes(api: Api, ctx: HttpContext): void {
  const { accounts, strategy, csrf, serialize, emit, opts } = ctx;
  const jwt = opts.mode === "jwt";
  const signInShape = jwt ? "JwtLogin" : "SessionLogin";

  api.route(
    {
      method: "post",
      path: "/register",
      summary: "Create an account",
      description: "Sends the verification email when a mailer is set. Does not sign in unless `signInOnRegister`.",
      body: [fields.email(), fields.password("password", "8 to 128 characters (code points); common passwords are refused."), fields.name()],
      success: { status: 201, description: "The new user (plus the sign-in fields with `signInOnRegister`).", shape: opts.signInOnRegister ? signInShape : "UserAnswer" },
      errors: ["EMAIL_ALREADY_REGISTERED", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      const user = await accounts.register({ email: input.email as string, password: input.password as string, name: (input.name as string | undefined) ?? null }, req.ip);
      emit("onRegister", req, { user: serialize(user) });
      if (ctx.notifier.enabled) {
        // The account exists now, whatever happens to the email: a failure is reported and the
        // user can ask again with POST /request-verify-email.
        ctx.verification.request(user, linksFor(req, opts).verifyEmail).catch(ctx.report("sending the verification email"));
      }
      const signIn = opts.signInOnRegister ? await strategy.signIn(req, user) : {};
      res.status(201).json({ user: serialize(user), ...signIn });
    },
  );

  /** Checks credentials (one answer for unknown email and wrong password) and reports failures. */
  const authenticate = async (req: Request, rawEmail: string, password: string): Promise<UserRecord> => {
    const email = normalizeEmail(rawEmail);
    return accounts.authenticate(email, password, req.ip).catch((err: unknown) => {
      if (isAuthError(err, "INVALID_CREDENTIALS")) emit("onLoginFailed", req, { email });
      throw err;
    });
  };

  api.route(
    {
      method: "post",
      path: "/login",
      summary: "Sign in",
      description: jwt ? "Answers the user and a token pair." : "Answers the user and the CSRF token, and sets a new session cookie.",
      body: [fields.email(), fields.password()],
      success: { status: 200, description: "Signed in.", shape: signInShape },
      errors: ["INVALID_CREDENTIALS", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      const user = await authenticate(req, input.email as string, input.password as string);
      const signIn = await strategy.signIn(req, user);
      emit("onLogin", req, { user: serialize(user) });
      res.json({ user: serialize(user), ...signIn });
    },
  );

  if (jwt) {
    api.route(
      {
        method: "post",
        path: "/token",
        summary: "Password grant (first-party clients)",
        description: "OAuth 2.0's password grant: JSON or a form. Shares login's rate limits and lockout. RFC 9700 forbids it for third-party clients.",
        body: [fields.email("username"), fields.password(), fields.grantType()],
        form: true,
        success: { status: 200, description: "A token pair.", shape: "TokenPair" },
        errors: ["INVALID_CREDENTIALS", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
      },
      async (req, res, input) => {
        const user = await authenticate(req, input.username as string, input.password as string);
        const pair = await strategy.signIn(req, user);
        emit("onLogin", req, { user: serialize(user) });
        res.setHeader("Pragma", "no-cache");
        res.json(pair);
      },
    );
  }

  api.route(
    {
      method: "post",
      path: "/logout",
      summary: "Sign out",
      description: jwt ? "Ends the access token's refresh family (and that of `refresh_token`, if sent): the access token is dead at once." : "Deletes the session in Redis and clears the cookie.",
      auth: true,
      body: jwt ? [fields.optionalToken("refresh_token", "Also end this refresh token's family.")] : [],
      success: { status: 204, description: "Signed out." },
      errors: ["UNAUTHENTICATED", "CSRF_INVALID"],
    },
    async (req, res) => {
      await strategy.signOut(req, res);
      emit("onLogout", req, { user: req.user! });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: "post",
      path: "/refresh",
      summary: jwt ? "Rotate the refresh token" : "Rotate the session",
      description: jwt
        ? "The old refresh token is dead; a replay after the grace window ends the whole family."
        : "Moves the session to a new id (the old one is dead) and re-reads the user.",
      // Session mode: the session cookie says who refreshes. JWT mode: the refresh token in the body.
      auth: !jwt,
      body: jwt ? [fields.token("refresh_token", "The current refresh token.")] : undefined,
      success: { status: 200, description: jwt ? "A new token pair." : "The user and the new CSRF token.", shape: jwt ? "TokenPair" : "SessionLogin" },
      errors: jwt ? ["INVALID_REFRESH_TOKEN", "VALIDATION_FAILED"] : ["UNAUTHENTICATED", "CSRF_INVALID"],
    },
    async (req, res, input) => {
      res.json(await strategy.refresh(req, input));
    },
  );

  api.route(
    { method: "get", path: "/me", summary: "The signed-in user", auth: true, success: { status: 200, description: "The user.", shape: "UserAnswer" }, errors: ["UNAUTHENTICATED"] },
    (req, res) => {
      res.json({ user: req.user });
    },
  );

  if (!jwt) {
    api.route(
      {
        method: "get",
        path: "/csrf",
        summary: "The session's CSRF token",
        description: "Send it as `X-CSRF-Token` on unsafe requests that carry the session cookie. Creates an anonymous session when there is none.",
        success: { status: 200, description: "The token.", shape: "CsrfToken" },
        errors: [],
      },
      (req, res) => {
        if (!req.session) throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
        res.json({ csrfToken: csrf.token(req) });
      },
    );
  }
}
