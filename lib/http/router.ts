import { Router, type RequestHandler } from "express";
import { AuthError } from "../errors.js";
import { resolveOptions, type AuthOptions } from "../options.js";
import type { UserStore } from "../ports/user-store.js";
import { createContext } from "./context.js";
import { errorHandler } from "./problem.js";
import type { RequireUser } from "./require-user.js";
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

  const router = Router() as AuthRouter;
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
  if (ctx.accessTokens) {
    const accessTokens = ctx.accessTokens;
    router.get("/.well-known/jwks.json", async (_req, res) => {
      const jwks = await accessTokens.jwks();
      if (!jwks) throw new AuthError("NOT_FOUND");
      res.json(jwks);
    });
  }
  accountsRoutes(router, ctx);
  verificationRoutes(router, ctx);
  recoveryRoutes(router, ctx);
  accountRoutes(router, ctx);
  sessionRoutes(router, ctx);
  router.use(() => {
    throw new AuthError("NOT_FOUND");
  });
  router.use(errorHandler(opts.logger));

  router.requireUser = ctx.requireUser;
  router.optionalUser = ctx.optionalUser;
  router.users = ctx.users;
  return router;
}
