import { ERROR_CODES } from "../errors.js";
/**
 * The status an OAuth endpoint answers for `code`: RFC 6749 §5.2 wants 400 for a wrong password
 * or a bad refresh token (`invalid_grant`) and for malformed requests, where the rest of the
 * router says 401 or 422. The `code` itself stays the one of the table, so clients that branch
 * on it need no second list.
 */
export function oauthStatus(code) {
    switch (code) {
        case "INVALID_CREDENTIALS":
        case "INVALID_REFRESH_TOKEN":
        case "VALIDATION_FAILED":
            return 400;
        default:
            return ERROR_CODES[code].status;
    }
}
/** The RFC 6749 `error` for an answer of an OAuth endpoint. */
export function oauthErrorCode(err) {
    switch (err.code) {
        case "INVALID_CREDENTIALS":
        case "INVALID_REFRESH_TOKEN":
            return "invalid_grant";
        case "VALIDATION_FAILED":
            return err.errors?.some((e) => e.code === "UNSUPPORTED_GRANT_TYPE") ? "unsupported_grant_type" : "invalid_request";
        case "TOO_MANY_REQUESTS":
        case "SERVICE_UNAVAILABLE":
            return "temporarily_unavailable";
        case "INTERNAL_ERROR":
            return "server_error";
        default:
            return "invalid_request";
    }
}
/**
 * The OAuth endpoints of a router (`POST /token`, `POST /revoke`): their errors follow RFC 6749
 * §5.2 (`application/json` with `error`, `error_description`), whichever middleware raised them.
 */
export class OAuthEndpoints {
    keys = new Set();
    add(method, path) {
        this.keys.add(`${method.toUpperCase()} ${path.toLowerCase()}`);
    }
    /** Express matches paths case-insensitively and with or without a trailing slash; so does this. */
    has(req) {
        const path = req.path.toLowerCase().replace(/(.)\/+$/, "$1");
        return this.keys.has(`${req.method} ${path}`);
    }
}
