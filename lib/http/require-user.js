import { AuthError } from "../errors.js";
import { bearerChallenge, sendProblem, toAuthError } from "./problem.js";
/** What the router's own guard (signed in, verified or not) can answer, besides the strategy's CSRF check. */
export const GUARD_ERRORS = ["UNAUTHENTICATED", "SERVICE_UNAVAILABLE"];
/**
 * Builds `requireUser` and `optionalUser`. Both set `req.user` and `res.locals.user`, and run the
 * session middleware themselves when it has not run, so they work on any route of the app. They
 * answer problem+json on their own (the app's error handler never sees them): 401 without a user,
 * 403 on a CSRF failure for unsafe methods or an unverified email where one is required, 503 when
 * the store is down. `optionalUser` lets anonymous requests through. A 401 carries `WWW-Authenticate: Bearer` in JWT
 * mode (`bearerMode`) and whenever the request presented a bearer token.
 */
export function userGuards(strategy, logger, requireVerifiedEmail = false, now = Date.now, bearerMode = false) {
    const guard = (required, verifiedEmail, more = {}) => (req, res, next) => {
        strategy.load(req, res, (err) => {
            if (err)
                return sendProblem(res, toAuthError(err, logger));
            const user = strategy.current(req);
            if (!user) {
                if (!required)
                    return next();
                // RFC 6750 §3: a 401 to a bearer request says how to authenticate, and why the token failed.
                const challenge = bearerChallenge(req, bearerMode);
                if (challenge)
                    res.setHeader("WWW-Authenticate", challenge);
                return sendProblem(res, new AuthError("UNAUTHENTICATED"));
            }
            try {
                strategy.checkCsrf(req);
            }
            catch (e) {
                return sendProblem(res, toAuthError(e, logger));
            }
            const auth = strategy.authState(req);
            // A sign-in restricted to enrollment is nobody to the app: 403 here, anonymous for optionalUser.
            if (auth?.restricted && !more.allowRestricted)
                return required ? sendProblem(res, new AuthError("MFA_ENROLLMENT_REQUIRED")) : next();
            if (verifiedEmail && !user.emailVerified)
                return sendProblem(res, new AuthError("EMAIL_NOT_VERIFIED"));
            if (more.recentAuth !== undefined && (!auth || now() - auth.authAt > more.recentAuth * 1000))
                return sendProblem(res, new AuthError("REAUTH_REQUIRED"));
            req.user = user;
            // For view engines: templates see `user` without the route passing it.
            res.locals.user = user;
            // An answer built for this user must not sit in a shared cache; the route may still set its own.
            if (!res.getHeader("Cache-Control"))
                res.setHeader("Cache-Control", "private, no-store");
            next();
        });
    };
    const byDefault = guard(true, requireVerifiedEmail);
    const requireUser = ((...args) => {
        if (args.length === 1) {
            const options = (args[0] ?? {});
            if (options.recentAuth !== undefined && (typeof options.recentAuth !== "number" || !Number.isInteger(options.recentAuth) || options.recentAuth < 1)) {
                throw new TypeError(`gatehouse: requireUser({ recentAuth }) must be a number of seconds >= 1 (got ${JSON.stringify(options.recentAuth)}).`);
            }
            return guard(true, options.verifiedEmail ?? requireVerifiedEmail, { recentAuth: options.recentAuth, allowRestricted: options.allowRestricted === true });
        }
        return byDefault(...args);
    });
    return { requireUser, optionalUser: guard(false, false) };
}
