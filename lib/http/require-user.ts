import type { RequestHandler } from "express";
import { AuthError } from "../errors.js";
import type { Logger } from "../options.js";
import type { PublicUser } from "../types.js";
import type { Csrf } from "./csrf.js";
import { sendProblem, toAuthError } from "./problem.js";
import type { SessionStrategy } from "./strategies/session.js";

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

/**
 * Builds `requireUser` and `optionalUser`. Both run the session middleware themselves when it has
 * not run, so they work on any route of the app. They answer problem+json on their own (the app's
 * error handler never sees them): 401 without a user, 403 on a CSRF failure for unsafe methods,
 * 503 when the store is down. `optionalUser` lets anonymous requests through.
 */
export function userGuards(strategy: SessionStrategy, csrf: Csrf, logger: Logger): { requireUser: RequestHandler; optionalUser: RequestHandler } {
  const guard =
    (required: boolean): RequestHandler =>
    (req, res, next) => {
      strategy.load(req, res, (err?: unknown) => {
        if (err) return sendProblem(res, toAuthError(err, logger));
        const user = strategy.current(req);
        if (!user) {
          if (required) return sendProblem(res, new AuthError("UNAUTHENTICATED"));
          return next();
        }
        try {
          csrf.check(req);
        } catch (e) {
          return sendProblem(res, toAuthError(e, logger));
        }
        req.user = user;
        next();
      });
    };
  return { requireUser: guard(true), optionalUser: guard(false) };
}
