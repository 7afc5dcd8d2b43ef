import { AuthError, isAuthError } from "../errors.js";
import { oauthErrorCode, oauthStatus } from "./oauth.js";
/**
 * Writes an RFC 9457 problem+json answer for an {@link AuthError}. With `oauth` (the answers of
 * `POST /token` and `POST /revoke`), the RFC 6749 §5.2 form instead: `application/json` (OAuth
 * clients read no other type), the status RFC 6749 names, and `error`, `error_description`
 * beside the usual fields.
 */
export function sendProblem(res, err, oauth = false) {
    if (err.retryAfter !== undefined)
        res.setHeader("Retry-After", String(Math.max(1, Math.ceil(err.retryAfter))));
    res.setHeader("Cache-Control", "no-store");
    const status = oauth ? oauthStatus(err.code) : err.status;
    const body = {
        type: "about:blank",
        status,
        code: err.code,
        title: err.message,
        ...(err.errors ? { errors: err.errors } : {}),
        ...(oauth ? { error: oauthErrorCode(err), error_description: err.errors?.[0]?.message ?? err.message } : {}),
    };
    res
        .status(status)
        .type(oauth ? "application/json" : "application/problem+json")
        .send(JSON.stringify(body));
}
/** True when the request presents a bearer token (`Authorization: Bearer ...`), well-formed or not. */
export function presentsBearer(req) {
    return /^bearer(\s|$)/i.test(req.headers.authorization ?? "");
}
/**
 * The RFC 6750 §3 challenge of a 401: `Bearer`, with `error="invalid_token"` when a token was
 * presented (and refused). `bearerMode`: the router speaks bearer tokens (JWT mode), so every 401
 * carries the challenge; otherwise only one to a request that presented a bearer token.
 */
export function bearerChallenge(req, bearerMode) {
    if (presentsBearer(req))
        return 'Bearer error="invalid_token", error_description="The access token is invalid, expired or revoked."';
    return bearerMode ? "Bearer" : undefined;
}
/** body-parser's error types, mapped to our codes. */
const BODY_ERRORS = {
    "entity.parse.failed": "INVALID_JSON",
    "entity.too.large": "PAYLOAD_TOO_LARGE",
    "encoding.unsupported": "UNSUPPORTED_MEDIA_TYPE",
    "charset.unsupported": "UNSUPPORTED_MEDIA_TYPE",
    "parameters.too.many": "PAYLOAD_TOO_LARGE",
};
/** A body-parser failure (the router's parser or the app's) as our error; undefined for any other error. */
export function toBodyError(err) {
    const type = err?.type;
    if (typeof type === "string" && type in BODY_ERRORS)
        return new AuthError(BODY_ERRORS[type]);
    const status = err?.status;
    if (typeof status === "number" && status >= 400 && status < 500) {
        // Other failures reading the body (aborted request, bad length, a Content-Encoding the bytes
        // do not match): the client's fault, and never a 500.
        return new AuthError(status === 415 ? "UNSUPPORTED_MEDIA_TYPE" : status === 413 ? "PAYLOAD_TOO_LARGE" : "INVALID_JSON");
    }
    return undefined;
}
/**
 * Turns any error into an answer. Expected failures keep their code; body-parser failures get
 * theirs; anything else is a 500 whose body says nothing about the cause (it goes to the log).
 */
export function toAuthError(err, logger) {
    if (isAuthError(err)) {
        if (err.code === "SERVICE_UNAVAILABLE" && err.cause)
            logger.error("gatehouse: a store is unavailable", err.cause);
        return err;
    }
    // A path parameter that is not valid percent-encoding (`/sessions/%E0%A4%A`): no such resource.
    if (err instanceof URIError)
        return new AuthError("NOT_FOUND");
    const bodyError = toBodyError(err);
    if (bodyError)
        return bodyError;
    logger.error("gatehouse: unexpected error", err);
    return new AuthError("INTERNAL_ERROR");
}
/**
 * The router's last handler. The OAuth endpoints answer in the RFC 6749 form whichever layer
 * failed (body parser, validation, rule); a 401 to a bearer request carries its challenge.
 */
export function errorHandler(logger, o = {}) {
    return (err, req, res, next) => {
        if (res.headersSent)
            return next(err);
        const problem = toAuthError(err, logger);
        const asOAuth = o.oauth?.has(req) ?? false;
        // Only "who are you" failures challenge: a wrong password or refresh token says nothing about the bearer token.
        if (!asOAuth && problem.code === "UNAUTHENTICATED") {
            const challenge = bearerChallenge(req, o.bearerMode ?? false);
            if (challenge)
                res.setHeader("WWW-Authenticate", challenge);
        }
        sendProblem(res, problem, asOAuth);
    };
}
