import type { RequestHandler, Router } from "express";
// Express 5's router as a package of its own: the same router whichever Express (4 or 5) the app
// runs, and rejected promises of async handlers reach the error handler on both.
import createRouter from "router";
import { AuthError } from "../errors.js";
import { resolveOptions, type AuthOptions } from "../options.js";
import type { UserStore } from "../ports/user-store.js";
import { createContext } from "./context.js";
import { errorHandler } from "./problem.js";
import type { RequireUser } from "./require-user.js";
import { protectWith, type Protect } from "./protect.js";
import { Api } from "./api.js";
import { openApiDocument } from "./openapi.js";
import { accountRoutes } from "./routes/account.js";
import { accountsRoutes } from "./routes/accounts.js";
import { sessionRoutes } from "./routes/sessions.js";
import { recoveryRoutes } from "./routes/recovery.js";
import { verificationRoutes } from "./routes/verification.js";

/** The router `authRouter()` returns: mount it, and protect your own routes with its guards. */
export interface AuthRouter extends Router {
  /**
   * 401 unless the request carries a live session; sets `req.user`. Works on any route. Call it
   * with options for a per-route setting: `requireUser({ verifiedEmail: true })`.
   */
  requireUser: RequireUser;
  /** Sets `req.user` when the request carries a live session; lets anonymous requests through. */
  optionalUser: RequestHandler;
  /**
   * `requireUser` and a handler in one, typed so that `req.user` is set:
   * `app.get("/api/me", auth.protect((req, res) => res.json({ email: req.user.email })))`.
   */
  protect: Protect;
  /** The user store in use (handy for seeding and admin tasks). */
  users: UserStore;
}

/**
 * Creates the authentication router: `app.use("/auth", authRouter({ redis, secret, appUrl }))`.
 * Throws a `TypeError` at once when the options are wrong.
 */
export function authRouter(options: AuthOptions): AuthRouter {
  const opts = resolveOptions(options);
  const ctx = createContext(opts);
  // Hash the dummy password now, so the first unknown-email login is not faster than the rest.
  ctx.passwords.warmUp().catch((err: unknown) => opts.logger.warn("gatehouse: could not prepare the dummy hash", err));

  const router = createRouter() as AuthRouter;
  router.use((_req, res, next) => {
    // Answers here carry credentials or personal data: never cache them.
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Pragma", "no-cache");
    res.setHeader("X-Content-Type-Options", "nosniff");
    next();
  });
  router.use(ctx.strategy.load);
  router.use((req, _res, next) => {
    ctx.strategy.checkCsrf(req);
    next();
  });
  const api = new Api(router, { signedIn: ctx.signedIn, json: ctx.body, formOrJson: ctx.formOrJsonBody });
  accountsRoutes(api, ctx);
  verificationRoutes(api, ctx);
  recoveryRoutes(api, ctx);
  accountRoutes(api, ctx);
  sessionRoutes(api, ctx);
  const accessTokens = ctx.accessTokens;
  if (accessTokens && opts.jwt.algorithm !== "HS256") {
    api.route(
      {
        method: "get",
        path: "/.well-known/jwks.json",
        summary: "The public keys that verify access tokens",
        success: { status: 200, description: "A JWK Set; each key carries its `kid`.", shape: "Jwks" },
        errors: [],
      },
      async (_req, res) => {
        res.json(await accessTokens.jwks());
      },
    );
  }
  if (opts.openapi) {
    let doc: object | undefined;
    api.route(
      { method: "get", path: "/openapi.json", summary: "This document", success: { status: 200, description: "The OpenAPI 3.1 document of this router." }, errors: [] },
      (req, res) => {
        // Built once, from the same definitions the routes were registered with.
        doc ??= openApiDocument(api.routes, opts, `${opts.appUrl.href.replace(/\/+$/, "")}${req.baseUrl}`);
        res.json(doc);
      },
    );
  }
  router.use(() => {
    throw new AuthError("NOT_FOUND");
  });
  router.use(errorHandler(opts.logger));

  router.requireUser = ctx.requireUser;
  router.optionalUser = ctx.optionalUser;
  router.protect = protectWith(ctx.requireUser);
  router.users = ctx.users;
  return router;
}
