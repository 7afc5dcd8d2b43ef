import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { RequireUser, RequireUserOptions } from "./require-user.js";

/**
 * A request that passed `requireUser`: `req.user` is set, so a handler reads `req.user.email`
 * without `!`. The user type is `Express.User`, which your app can extend by declaration merging.
 */
export interface SignedInRequest extends Request {
  user: Express.User;
}

/** A handler behind {@link Protect}: it runs only for a signed-in user. It may be async. */
export type ProtectedHandler = (req: SignedInRequest, res: Response, next: NextFunction) => unknown;

/**
 * Wraps a handler in `requireUser`: `app.get("/api/me", auth.protect((req, res) => res.json(req.user.email)))`.
 * The handler sees a {@link SignedInRequest}; an error it throws or a promise it rejects goes to
 * `next(err)`, on Express 4 as on Express 5.
 */
export interface Protect {
  (handler: ProtectedHandler): RequestHandler;
  (options: RequireUserOptions, handler: ProtectedHandler): RequestHandler;
}

/** Builds `protect` on top of the router's `requireUser`. */
export function protectWith(requireUser: RequireUser): Protect {
  return ((...args: [ProtectedHandler] | [RequireUserOptions, ProtectedHandler]): RequestHandler => {
    const [guard, handler] = args.length === 1 ? [requireUser, args[0]] : [requireUser(args[0]), args[1]];
    return (req, res, next) =>
      guard(req, res, () => {
        try {
          // Express 4 does not catch rejected promises of handlers: hand them to next() here.
          Promise.resolve(handler(req as SignedInRequest, res, next)).catch(next);
        } catch (err) {
          next(err);
        }
      });
  }) as Protect;
}
