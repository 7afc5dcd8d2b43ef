// Express 5's router as a package of its own: the same router whichever Express (4 or 5) the app
// runs, and rejected promises of async handlers reach the error handler on both.
import createRouter from "router";
import { AuthError } from "../errors.js";
import { resolveOptions } from "../options.js";
import { createServices } from "./wiring.js";
import { errorHandler } from "./problem.js";
import { GUARD_ERRORS } from "./require-user.js";
import { BODY_ERRORS } from "./input.js";
import { isEmailedLinkPost } from "./csrf.js";
import { mountPath } from "./links.js";
import { RouteTable } from "./route-table.js";
import { protectWith } from "./protect.js";
import { openApiDocument } from "./openapi.js";
import { accountRoutes } from "./routes/account.js";
import { signInRoutes } from "./routes/sign-in.js";
import { sessionRoutes } from "./routes/sessions.js";
import { recoveryRoutes } from "./routes/recovery.js";
import { verificationRoutes } from "./routes/verification.js";
import { mfaRoutes } from "./routes/mfa.js";
/**
 * Creates the authentication router. Mount it once; protect your own routes with its guards.
 * Throws a `TypeError` at once, with a message that says how to fix it, when the options are wrong.
 *
 * @example
 * ```ts
 * const auth = authRouter({
 *   redis: new Redis(process.env.REDIS_URL, { enableOfflineQueue: false }),
 *   secret: process.env.AUTH_SECRET!,
 *   appUrl: "https://app.example.com",
 *   mailer: nodemailer.createTransport(process.env.SMTP_URL),
 * });
 * app.use("/auth", auth);
 * app.get("/api/profile", auth.requireUser, (req, res) => res.json({ user: req.user }));
 * ```
 */
export function authRouter(options) {
    const opts = resolveOptions(options);
    const services = createServices(opts);
    // Hash the dummy password now, so the first unknown-email login is not faster than the rest.
    services.passwords.warmUp().catch((err) => opts.logger.warn("gatehouse: could not prepare the dummy hash", err));
    const router = createRouter();
    router.use((_req, res, next) => {
        // Answers here carry credentials or personal data: never cache them.
        res.setHeader("Cache-Control", "no-store");
        res.setHeader("Pragma", "no-cache");
        res.setHeader("X-Content-Type-Options", "nosniff");
        next();
    });
    router.use(services.strategy.load);
    router.use((req, _res, next) => {
        // The confirmation page's form posts carry the emailed token instead of X-CSRF-Token.
        if (opts.mode === "session" && isEmailedLinkPost(req))
            services.csrf.checkOrigin(req, true);
        else
            services.strategy.checkCsrf(req);
        next();
    });
    const strategy = services.strategy;
    const routes = new RouteTable(router, {
        // A sign-in restricted to enrolling a second factor is refused by every guard but the enrollment routes'.
        signedIn: { handler: services.signedIn, raises: [...GUARD_ERRORS, "MFA_ENROLLMENT_REQUIRED"] },
        signedInRestricted: { handler: services.requireUser({ verifiedEmail: false, allowRestricted: true }), raises: GUARD_ERRORS },
        recentlySignedIn: { handler: services.requireUser({ verifiedEmail: false, recentAuth: opts.mfa.stepUpWindow }), raises: [...GUARD_ERRORS, "MFA_ENROLLMENT_REQUIRED", "REAUTH_REQUIRED"] },
        json: { handler: services.body, raises: BODY_ERRORS },
        formOrJson: { handler: services.formOrJsonBody, raises: BODY_ERRORS },
    }, 
    // The two router-level steps above: loading the credential reads the store; unsafe methods pass the CSRF check.
    (def) => ["SERVICE_UNAVAILABLE", ...(def.method === "get" ? [] : strategy.csrfErrors)], [...(opts.rateLimits ? [] : ["TOO_MANY_REQUESTS"]), ...(opts.mfa.enforced ? [] : ["MFA_ENROLLMENT_REQUIRED"])]);
    signInRoutes(routes, services);
    verificationRoutes(routes, services);
    recoveryRoutes(routes, services);
    accountRoutes(routes, services);
    sessionRoutes(routes, services);
    mfaRoutes(routes, services);
    const accessTokens = services.accessTokens;
    if (accessTokens && opts.mode === "jwt" && opts.jwt.algorithm !== "HS256") {
        routes.route({
            method: "get",
            path: "/.well-known/jwks.json",
            summary: "The public keys that verify access tokens",
            success: { status: 200, description: "A JWK Set; each key carries its `kid`.", shape: "Jwks" },
            errors: [],
        }, async (_req, res) => {
            res.json(await accessTokens.jwks());
        });
    }
    if (opts.http.openapi) {
        let doc;
        routes.route({
            method: "get",
            path: "/openapi.json",
            summary: "This document",
            success: { status: 200, description: "The OpenAPI 3.1 document of this router.", shape: "OpenApi" },
            errors: [],
        }, (req, res) => {
            // Built once, from the same definitions the routes were registered with.
            doc ??= openApiDocument(routes.routes, opts, `${opts.appUrl.href.replace(/\/+$/, "")}${mountPath(req)}`);
            res.json(doc);
        });
    }
    router.use(() => {
        throw new AuthError("NOT_FOUND");
    });
    router.use(errorHandler(opts.logger, { oauth: routes.oauth, bearerMode: opts.mode === "jwt" }));
    router.requireUser = services.requireUser;
    router.optionalUser = services.optionalUser;
    router.protect = protectWith(services.requireUser);
    router.users = services.appUsers;
    return router;
}
