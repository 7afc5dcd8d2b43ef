import type { RouteTable, RouteHandler } from "../route-table.js";
import type { Services } from "../wiring.js";
import { fields, type Field } from "../input.js";
import { linksFor } from "../links.js";
import { requestContext } from "../request-context.js";

/** POST /register, /login, /token (JWT mode). The rules live in core/sign-in.ts. */
export function signInRoutes(routes: RouteTable, services: Services): void {
  const { signIn, strategy, serialize, opts } = services;
  const jwt = opts.mode === "jwt";
  const signInShape = jwt ? "JwtLogin" : "SessionLogin";

  const register: RouteHandler = async (req, res, input) => {
    const start = opts.signInOnRegister ? (user: Parameters<typeof strategy.signIn>[1], grant?: Parameters<typeof strategy.signIn>[2]) => strategy.signIn(req, user, grant) : undefined;
    const { user, session } = await signIn.register(
      { email: input.email as string, password: input.password as string, name: (input.name as string | undefined) ?? null },
      requestContext(req),
      linksFor(req, opts).verifyEmail,
      start,
    );
    res.status(201).json({ user: serialize(user), ...session });
  };
  routes.route(
    {
      method: "post",
      path: "/register",
      summary: "Create an account",
      description: "Sends the verification email when a mailer is set. Does not sign in unless `signInOnRegister`.",
      body: [fields.email(), fields.newPassword("password", opts.password), fields.name()],
      success: { status: 201, description: "The new user (plus the sign-in fields with `signInOnRegister`).", shape: opts.signInOnRegister ? signInShape : "UserAnswer" },
      errors: ["EMAIL_ALREADY_REGISTERED", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    register,
  );

  /** `/login` answers the user beside what the sign-in hands out; `/token` only the token pair. */
  const login =
    (emailField: "email" | "username", withUser: boolean): RouteHandler =>
    async (req, res, input) => {
      const result = await signIn.login(input[emailField] as string, input.password as string, requestContext(req), (user, grant) => strategy.signIn(req, user, grant));
      if (result.status === "pending") return void res.json(result.challenge);
      res.json(withUser ? { user: serialize(result.user), ...result.session } : result.session);
    };
  routes.route(
    {
      method: "post",
      path: "/login",
      summary: "Sign in",
      description: `${jwt ? "Answers the user and a token pair." : "Answers the user and the CSRF token, and sets a new session cookie."} When the user has a second factor on, a right password answers \`{mfaRequired, mfaToken, methods}\` instead and signs nothing in: finish with POST /mfa/verify.`,
      body: [fields.email(), fields.password()],
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
