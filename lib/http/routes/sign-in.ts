import type { RouteTable, RouteHandler } from "../route-table.js";
import type { Services } from "../wiring.js";
import { fields, type Field } from "../input.js";
import { linksFor } from "../links.js";
import { readCookie, requestContext } from "../request-context.js";

/** POST /register, /login, /token (JWT mode). The rules live in core/sign-in.ts. */
export function signInRoutes(routes: RouteTable, services: Services): void {
  const { signIn, devices, strategy, serialize, opts } = services;
  const jwt = opts.mode === "jwt";
  const signInShape = jwt ? "JwtLogin" : "SessionLogin";

  const register: RouteHandler = async (req, res, input) => {
    const start = opts.signInOnRegister ? (user: Parameters<typeof strategy.signIn>[1], grant?: Parameters<typeof strategy.signIn>[2]) => strategy.signIn(req, user, grant) : undefined;
    const links = linksFor(req, opts);
    const { user, session } = await signIn.register(
      { email: input.email as string, password: input.password as string, name: (input.name as string | undefined) ?? null },
      requestContext(req),
      { verifyEmail: links.verifyEmail, resetPassword: links.resetPassword, signIn: opts.appUrl.href },
      start,
    );
    // preventEnumeration: the same empty 202 for a new and a taken address.
    if (!user) return void res.status(202).end();
    res.status(201).json({ user: serialize(user), ...session });
  };
  const hidden = opts.preventEnumeration;
  routes.route(
    {
      method: "post",
      path: "/register",
      summary: "Create an account",
      description: hidden
        ? "`preventEnumeration` is on: the same empty 202 for a new and a taken address, after the same work. A new address gets the verification email; a taken one a notice with a sign-in and a reset link."
        : "Sends the verification email when a mailer is set. Does not sign in unless `signInOnRegister`.",
      body: [fields.email(), fields.newPassword("password", opts.password), fields.name()],
      success: hidden
        ? { status: 202, description: "Accepted; check the inbox." }
        : { status: 201, description: "The new user (plus the sign-in fields with `signInOnRegister`).", shape: opts.signInOnRegister ? signInShape : "UserAnswer" },
      errors: hidden ? ["VALIDATION_FAILED", "TOO_MANY_REQUESTS"] : ["EMAIL_ALREADY_REGISTERED", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    register,
  );

  /** `/login` answers the user beside what the sign-in hands out; `/token` only the token pair. */
  const login =
    (emailField: "email" | "username", withUser: boolean): RouteHandler =>
    async (req, res, input) => {
      const email = input[emailField] as string;
      const ctx = { ...requestContext(req), deviceToken: presentedDevice(req, input, email) };
      const result = await signIn.login(email, input.password as string, ctx, (user, grant) => strategy.signIn(req, user, grant));
      if (result.status === "pending") return void res.json(result.challenge);
      if (!withUser) return void res.json(result.session);
      // A successful sign-in makes this client trusted for the account (OWASP device cookies).
      const device = signIn.trustDevice(result.user);
      if (jwt) return void res.json({ user: serialize(result.user), ...result.session, device_token: device });
      res.cookie(devices.cookieName(result.user.email, cookieSecure), device, { httpOnly: true, secure: cookieSecure, sameSite: "lax", path: "/", maxAge: devices.ttl * 1000 });
      res.json({ user: serialize(result.user), ...result.session });
    };

  const cookieSecure = opts.mode === "session" && opts.session.secure;
  /** The device credential a client presents: its cookie for this account (session), or `device_token` (jwt). */
  const presentedDevice = (req: Parameters<RouteHandler>[0], input: Record<string, unknown>, email: string): string | undefined => {
    if (jwt) return typeof input.device_token === "string" ? input.device_token : undefined;
    return readCookie(req.headers.cookie, devices.cookieName(email, cookieSecure));
  };
  routes.route(
    {
      method: "post",
      path: "/login",
      summary: "Sign in",
      description: `${
        jwt
          ? "Answers the user, a token pair and a `device_token`: send it back in the next login's body, and this client keeps its own attempt budget when others guess at the account (lockout)."
          : "Answers the user and the CSRF token, sets a new session cookie and a device cookie (this browser keeps its own attempt budget when others guess at the account)."
      } When the user has a second factor on, a right password answers \`{mfaRequired, mfaToken, methods}\` instead and signs nothing in: finish with POST /mfa/verify.`,
      body: jwt ? [fields.email(), fields.password(), fields.optionalToken("device_token", "The `device_token` of an earlier sign-in to this account.")] : [fields.email(), fields.password()],
      success: { status: 200, description: "Signed in.", shape: signInShape },
      alternatives: [{ status: 200, description: "A second factor is due (nothing signed in yet).", shape: "MfaChallenge" }],
      errors: ["INVALID_CREDENTIALS", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    login("email", true),
  );

  if (jwt) {
    // RFC 6749's token endpoint: the password grant (§4.3) and the refresh_token grant (§6).
    const grant = fields.grantType();
    const username = fields.email("username");
    const password = fields.password();
    const refreshToken = fields.token("refresh_token", "The current refresh token.");
    const variant = (name: string, grantRequired: boolean, own: Field[]) => ({
      title: name,
      type: "object",
      required: [...(grantRequired ? ["grant_type"] : []), ...own.map((f) => f.name)],
      properties: { grant_type: { ...grant.schema, enum: [name] }, ...Object.fromEntries(own.map((f) => [f.name, f.schema])) },
    });
    const passwordGrant = login("username", false);
    routes.route(
      {
        method: "post",
        path: "/token",
        summary: "OAuth 2.0 token endpoint (password and refresh_token grants)",
        description:
          "RFC 6749, as a form or JSON. `grant_type=password` (the default) signs in with `username` (the email) and `password`, with login's rate limits and lockout " +
          "(RFC 9700 allows it only for first-party clients); `grant_type=refresh_token` rotates `refresh_token` as POST /refresh does. " +
          "Errors follow RFC 6749 §5.2: `application/json` with `error` and `error_description` beside `status`, `code`, `title`.",
        body: [grant, fields.forGrant("password", username), fields.forGrant("password", password), fields.forGrant("refresh_token", refreshToken)],
        bodySchema: { oneOf: [variant("password", false, [username, password]), variant("refresh_token", true, [refreshToken])] },
        form: true,
        oauth: true,
        success: { status: 200, description: "A token pair.", shape: "TokenPair" },
        alternatives: [{ status: 200, description: "A second factor is due: finish with POST /mfa/verify.", shape: "MfaChallenge" }],
        errors: ["INVALID_CREDENTIALS", "INVALID_REFRESH_TOKEN", "TOO_MANY_REQUESTS"],
      },
      async (req, res, input) => {
        if (input.grant_type === "refresh_token") return void res.json(await strategy.refresh(req, { refresh_token: input.refresh_token }));
        await passwordGrant(req, res, input);
      },
    );
  }
}
