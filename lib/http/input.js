import bodyParser from "body-parser";
import { body, matchedData, validationResult } from "express-validator";
import { AuthError } from "../errors.js";
import { INVISIBLE, MAX_EMAIL_LENGTH } from "../core/email-address.js";
import { adoptForm, adoptJson, readByApp } from "./parsed-body.js";
/**
 * The router's own JSON parser: `limit` bytes, objects and arrays only. A body of another type
 * is a 415 (only where a route takes a body). Where an app-level `express.json()` already read
 * the body, its result is held to the same limit and rules.
 */
export function jsonBody(limit) {
    const parse = bodyParser.json({ limit, strict: true, type: ["application/json", "application/*+json"] });
    return (req, res, next) => {
        const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
        if (hasBody && !req.is(["application/json", "application/*+json"]))
            return next(new AuthError("UNSUPPORTED_MEDIA_TYPE"));
        if (hasBody && readByApp(req)) {
            try {
                adoptJson(req, limit);
            }
            catch (err) {
                return next(err);
            }
            return next();
        }
        parse(req, res, (err) => {
            if (err)
                return next(err);
            if (req.body === undefined || req.body === null)
                req.body = {};
            next();
        });
    };
}
/** What the body parsers can refuse a request with. */
export const BODY_ERRORS = ["INVALID_JSON", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"];
/**
 * JSON or an HTML form (`application/x-www-form-urlencoded`), for `POST /token`, `/revoke` and
 * `/refresh` (OAuth clients send forms). Flat forms only: `a[b]=c` stays a plain key, never an object.
 */
export function formOrJsonBody(limit) {
    const json = jsonBody(limit);
    const parameterLimit = 20;
    const parse = bodyParser.urlencoded({ limit, extended: false, parameterLimit });
    const form = (req, res, next) => {
        if (!readByApp(req))
            return parse(req, res, next);
        try {
            adoptForm(req, limit, parameterLimit);
        }
        catch (err) {
            return next(err);
        }
        next();
    };
    return (req, res, next) => (req.is("application/x-www-form-urlencoded") ? form(req, res, next) : json(req, res, next));
}
const m = (code, message) => ({ code, message });
/** Control characters (C0, DEL, C1) have no place in names or addresses: they end up in mail headers. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * A URL or a bare domain in a display name ("Visit evil.example", "www.x", "https://..."): names
 * end up in emails and pages, where a link-like name reads as the app speaking.
 */
const URL_LIKE = /[a-z][a-z0-9+.-]*:\/\/|\bwww\.|[\p{L}\p{N}-]\.[a-z]{2,63}\b|[\p{L}\p{N}]@[\p{L}\p{N}]/iu;
/** A required single string; arrays, objects, numbers and booleans are refused, not coerced. */
function requiredString(field, start = body(field)) {
    return start
        .exists({ values: "null" })
        .withMessage(m("REQUIRED", `${field} is required.`))
        .bail()
        .custom((v) => typeof v === "string")
        .withMessage(m("INVALID_TYPE", `${field} must be a string.`))
        .bail()
        // A lone surrogate is not text (it cannot be typed, encoded as UTF-8 or put in an email).
        .custom((v) => v.isWellFormed())
        .withMessage(m("INVALID_CHARACTERS", `${field} must be valid Unicode text.`))
        .bail();
}
/** An email: one string, at most 254 characters, one address, no control characters. */
export function emailField(field = "email", start) {
    return requiredString(field, start)
        .trim()
        .isLength({ min: 1, max: MAX_EMAIL_LENGTH })
        .withMessage(m("INVALID_EMAIL", `${field} must be an email address of at most ${MAX_EMAIL_LENGTH} characters.`))
        .bail()
        .not()
        .matches(CONTROL)
        .withMessage(m("INVALID_EMAIL", `${field} must be a single email address.`))
        .bail()
        // Zero-width, bidi and soft-hyphen characters would make a second account that reads like the first.
        .not()
        .matches(INVISIBLE)
        .withMessage(m("INVALID_CHARACTERS", `${field} must not contain invisible characters (zero-width, bidi controls, soft hyphen).`))
        .bail()
        .isEmail({ allow_display_name: false, allow_ip_domain: false, require_tld: true })
        .withMessage(m("INVALID_EMAIL", `${field} must be a single email address.`));
}
/** A password as typed: a string of bounded size (the policy itself is checked in core). */
export function passwordField(field = "password", maxChars = 4096, start) {
    return requiredString(field, start)
        .isLength({ min: 1 })
        .withMessage(m("REQUIRED", `${field} is required.`))
        .bail()
        .isLength({ max: maxChars })
        .withMessage(m("TOO_LONG", `${field} is too long.`));
}
/** A token from an email link: one string of bounded length (its shape is checked in core). */
export function tokenField(field = "token", start) {
    return requiredString(field, start).isLength({ min: 1, max: 256 }).withMessage(m("INVALID_LENGTH", `${field} must have 1 to 256 characters.`));
}
/** A one-time code: a 6-digit TOTP code or a recovery code (`abcd-efgh-ijkl-mnop`); checked in core. */
export function codeField(field = "code", optional = false) {
    const chain = optional ? body(field).optional({ values: "null" }).custom((v) => typeof v === "string").withMessage(m("INVALID_TYPE", `${field} must be a string.`)).bail() : requiredString(field);
    return chain.isLength({ min: 1, max: 32 }).withMessage(m("INVALID_LENGTH", `${field} must have 1 to 32 characters.`));
}
/** The grants `POST /token` serves. */
export const GRANT_TYPES = ["password", "refresh_token"];
/** The grant a token request asks for: `grant_type`, or `password` when it is absent. */
export function grantOf(req) {
    return req.body?.grant_type ?? "password";
}
/** `grant_type` of `POST /token`: absent (a password grant), `password` or `refresh_token`. */
export function grantTypeField() {
    return body("grant_type")
        .optional()
        .custom((v) => typeof v === "string")
        .withMessage(m("INVALID_TYPE", "grant_type must be a string."))
        .bail()
        .custom((v) => GRANT_TYPES.includes(v))
        .withMessage(m("UNSUPPORTED_GRANT_TYPE", 'grant_type must be "password" or "refresh_token".'));
}
/** The start of a chain checked only on token requests of `grant` (`.if` guards what follows it). */
function forGrant(grant, field) {
    return body(field).if((_v, { req }) => grantOf(req) === grant);
}
/** An optional display name: 1 to 100 characters without control, bidi or invisible characters and without URLs, or null. */
function nameField(field = "name") {
    return body(field)
        .optional({ values: "null" })
        .custom((v) => typeof v === "string")
        .withMessage(m("INVALID_TYPE", `${field} must be a string.`))
        .bail()
        .custom((v) => v.isWellFormed())
        .withMessage(m("INVALID_CHARACTERS", `${field} must be valid Unicode text.`))
        .bail()
        .trim()
        .isLength({ min: 1, max: 100 })
        .withMessage(m("INVALID_LENGTH", `${field} must have 1 to 100 characters.`))
        .bail()
        .not()
        .matches(CONTROL)
        .withMessage(m("INVALID_CHARACTERS", `${field} must not contain control characters.`))
        .bail()
        .not()
        .matches(INVISIBLE)
        .withMessage(m("INVALID_CHARACTERS", `${field} must not contain invisible or bidi control characters.`))
        .bail()
        .not()
        .matches(URL_LIKE)
        .withMessage(m("URL_NOT_ALLOWED", `${field} must not contain a URL, a domain or an email address.`));
}
/**
 * Runs the chains and returns only the validated fields (mass assignment: nothing else from
 * the body reaches the core). Throws `VALIDATION_FAILED` with `errors[]`.
 */
export async function validate(req, chains) {
    for (const chain of chains)
        await chain.run(req);
    const result = validationResult(req);
    if (!result.isEmpty()) {
        const errors = result.array({ onlyFirstError: true }).map((e) => {
            const msg = e.msg;
            return { field: e.type === "field" ? e.path : "body", code: msg.code, message: msg.message };
        });
        throw new AuthError("VALIDATION_FAILED", { errors });
    }
    return matchedData(req, { locations: ["body"], includeOptionals: false });
}
/** The body fields of the routes: each a validation chain with its JSON Schema. `lenient` fields never fail validation. */
export const fields = {
    email: (name = "email") => ({
        name,
        required: true,
        schema: { type: "string", format: "email", maxLength: MAX_EMAIL_LENGTH, description: "Trimmed, NFC-normalized and lower-cased before use." },
        chain: (start) => emailField(name, start),
    }),
    password: (name = "password", description = "As typed; never truncated.") => ({
        name,
        required: true,
        schema: { type: "string", minLength: 1, maxLength: 4096, description },
        chain: (start) => passwordField(name, 4096, start),
    }),
    /** A password being set: the schema carries the policy's bounds (code points, as JSON Schema counts them). */
    newPassword: (name, policy) => ({
        name,
        required: true,
        schema: {
            type: "string",
            minLength: policy.minLength,
            maxLength: policy.maxLength,
            description: `${policy.minLength} to ${policy.maxLength} characters (Unicode code points, after NFKC), never truncated; common passwords are refused.`,
        },
        chain: () => passwordField(name),
    }),
    name: () => ({
        name: "name",
        required: false,
        schema: { type: ["string", "null"], minLength: 1, maxLength: 100 },
        chain: () => nameField(),
    }),
    token: (name = "token", description = "The token from the emailed link.") => ({
        name,
        required: true,
        schema: { type: "string", minLength: 1, maxLength: 256, description },
        chain: (start) => tokenField(name, start),
    }),
    optionalToken: (name, description) => ({
        name,
        required: false,
        schema: { type: "string", maxLength: 256, description },
        chain: () => body(name).optional(),
        lenient: true,
    }),
    code: (name = "code", required = true, description = "A 6-digit code from the authenticator app, or an unused recovery code.") => ({
        name,
        required,
        schema: { type: "string", minLength: 1, maxLength: 32, description },
        chain: () => codeField(name, !required),
    }),
    grantType: () => ({
        name: "grant_type",
        required: false,
        schema: { type: "string", enum: [...GRANT_TYPES], description: "Absent: `password`." },
        chain: () => grantTypeField(),
    }),
    /** A field of one grant of `POST /token`: required for that grant, ignored for the other. */
    forGrant: (grant, field) => ({ ...field, required: false, chain: () => field.chain(forGrant(grant, field.name)) }),
    /** The token `POST /revoke` ends: a refresh token or an access token (a JWT, longer than email tokens). */
    revocable: () => ({
        name: "token",
        required: true,
        schema: { type: "string", minLength: 1, maxLength: 4096, description: "A refresh token or an access token." },
        chain: () => requiredString("token").isLength({ min: 1, max: 4096 }).withMessage(m("INVALID_LENGTH", "token must have 1 to 4096 characters.")),
    }),
    tokenTypeHint: () => ({
        name: "token_type_hint",
        required: false,
        schema: { type: "string", maxLength: 64, description: "`refresh_token` or `access_token`; only a hint (RFC 7009), an unknown one is ignored." },
        chain: () => body("token_type_hint").optional(),
        lenient: true,
    }),
};
