/**
 * The one table of error codes Gatehouse answers with. Clients branch on `code`, never on `title`.
 * Every error body is RFC 9457 `application/problem+json`: `{ type, status, code, title, errors? }`.
 */
export const ERROR_CODES = {
    INVALID_JSON: { status: 400, title: "The request body is not valid JSON." },
    EMAIL_ALREADY_REGISTERED: { status: 400, title: "An account with this email already exists." },
    INVALID_TOKEN: { status: 400, title: "The link or token is invalid or has expired." },
    INVALID_PASSWORD: { status: 400, title: "The current password is wrong." },
    EMAIL_ALREADY_VERIFIED: { status: 400, title: "The email address is already verified." },
    INVALID_MFA_CODE: { status: 400, title: "The code is wrong, expired or was already used." },
    MFA_ALREADY_ENABLED: { status: 400, title: "A second factor is already on." },
    MFA_NOT_ENABLED: { status: 400, title: "No second factor is on." },
    MFA_SETUP_NOT_STARTED: { status: 400, title: "Start the setup first (POST /mfa/totp/setup); it expires after 10 minutes." },
    INVALID_CREDENTIALS: { status: 401, title: "The email or password is wrong." },
    UNAUTHENTICATED: { status: 401, title: "You need to sign in." },
    INVALID_REFRESH_TOKEN: { status: 401, title: "The refresh token is invalid, expired or revoked." },
    MFA_CHALLENGE_INVALID: { status: 401, title: "The sign-in step is unknown, expired, used or ended; sign in again." },
    CSRF_INVALID: { status: 403, title: "The request was refused as a possible cross-site request forgery." },
    EMAIL_NOT_VERIFIED: { status: 403, title: "Verify your email address first." },
    REAUTH_REQUIRED: { status: 403, title: "Confirm it is you: sign in again or use POST /reauth." },
    MFA_ENROLLMENT_REQUIRED: { status: 403, title: "Set up a second factor first." },
    NOT_FOUND: { status: 404, title: "Not found." },
    PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large." },
    UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Send the body as application/json." },
    VALIDATION_FAILED: { status: 422, title: "Some fields are missing or invalid." },
    TOO_MANY_REQUESTS: { status: 429, title: "Too many attempts. Try again later." },
    INTERNAL_ERROR: { status: 500, title: "Something went wrong on our side." },
    SERVICE_UNAVAILABLE: { status: 503, title: "The service is temporarily unavailable. Try again shortly." },
};
/**
 * An expected failure: the HTTP layer turns it into a problem+json answer with the status from
 * the table. Infrastructure outages are `AuthError("SERVICE_UNAVAILABLE")`.
 */
export class AuthError extends Error {
    code;
    status;
    errors;
    /** Seconds the client should wait before retrying (sent as `Retry-After`). */
    retryAfter;
    constructor(code, extra = {}) {
        super(ERROR_CODES[code].title, extra.cause === undefined ? undefined : { cause: extra.cause });
        this.name = "AuthError";
        this.code = code;
        this.status = ERROR_CODES[code].status;
        this.errors = extra.errors;
        this.retryAfter = extra.retryAfter;
    }
}
/** True when `err` is an {@link AuthError} (optionally with the given code). */
export function isAuthError(err, code) {
    return err instanceof AuthError && (code === undefined || err.code === code);
}
