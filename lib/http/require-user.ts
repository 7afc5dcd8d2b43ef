import type { RequestHandler } from "express";
import { AuthError } from "../errors.js";
import type { Logger } from "../options.js";
import type { PublicUser } from "../types.js";
import { sendProblem, toAuthError } from "./problem.js";
import type { Strategy } from "./strategies/strategy.js";

declare global {
  // Express's own extension point (the one Passport uses too), so `req.user` is typed everywhere.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends PublicUser {}
    interface Request {
      user?: User;
    }
  }
}

/** Per-route settings of `requireUser`. */
export interface RequireUserOptions {
  /** Answer 403 `EMAIL_NOT_VERIFIED` to users whose email is not verified. @default the `requireVerifiedEmail` option */
  verifiedEmail?: boolean;
}

/**
 * `requireUser` is a middleware (`app.get(path, auth.requireUser, handler)`) and, called with
 * options, makes one (`auth.requireUser({ verifiedEmail: true })`). It answers 401
 * `UNAUTHENTICATED` without a live session or access token, 403 on a CSRF failure or an
 * unverified email where one is required, 503 when a store is down; otherwise it sets `req.user`.
 *
 * @example
 * ```ts
 * app.get("/api/profile", auth.requireUser, (req, res) => res.json({ user: req.user }));
 * app.post("/api/billing", auth.requireUser({ verifiedEmail: true }), billingHandler);
 * ```
 */
export interface RequireUser extends RequestHandler {
  (options: RequireUserOptions): RequestHandler;
}

/**
 * Builds `requireUser` and `optionalUser`. Both run the session middleware themselves when it has
 * not run, so they work on any route of the app. They answer problem+json on their own (the app's
 * error handler never sees them): 401 without a user, 403 on a CSRF failure for unsafe methods or
 * an unverified email where one is required, 503 when the store is down. `optionalUser` lets
 * anonymous requests through.
 */
export function userGuards(
  strategy: Strategy,
  logger: Logger,
  requireVerifiedEmail = false,
): { requireUser: RequireUser; optionalUser: RequestHandler } {
  const guard =
    (required: boolean, verifiedEmail: boolean): RequestHandler =>
    (req, res, next) => {
      strategy.load(req, res, (err?: unknown) => {
        if (err) return sendProblem(res, toAuthError(err, logger));
        const user = strategy.current(req);
        if (!user) {
          if (required) return sendProblem(res, new AuthError("UNAUTHENTICATED"));
          return next();
        }
        try {
          strategy.checkCsrf(req);
        } catch (e) {
          return sendProblem(res, toAuthError(e, logger));
        }
        if (verifiedEmail && !user.emailVerified) return sendProblem(res, new AuthError("EMAIL_NOT_VERIFIED"));
        req.user = user;
        // An answer built for this user must not sit in a shared cache; the route may still set its own.
        if (!res.getHeader("Cache-Control")) res.setHeader("Cache-Control", "private, no-store");
        next();
      });
    };
  const byDefault = guard(true, requireVerifiedEmail);
  const requireUser = ((...args: unknown[]) => {
    if (args.length === 1) {
      const options = (args[0] ?? {}) as RequireUserOptions;
      return guard(true, options.verifiedEmail ?? requireVerifiedEmail);
    }
    return (byDefault as (...a: unknown[]) => void)(...args);
  }) as RequireUser;
  return { requireUser, optionalUser: guard(false, false) };
}
