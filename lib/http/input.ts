import express, { type Request, type RequestHandler } from "express";
import { body, matchedData, validationResult, type ValidationChain } from "express-validator";
import { AuthError, type FieldError } from "../errors.js";
import { INVISIBLE, MAX_EMAIL_LENGTH } from "../core/email-address.js";

/**
 * The router's own JSON parser: `limit` bytes, objects and arrays only. A body of another type
 * is a 415 (only where a route takes a body); an app-level `express.json()` that already ran is
 * respected.
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({ limit, strict: true, type: ["application/json", "application/*+json"] });
  return (req, res, next) => {
    const hasBody = req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
    if (hasBody && !req.is(["application/json", "application/*+json"])) return next(new AuthError("UNSUPPORTED_MEDIA_TYPE"));
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (req.body === undefined || req.body === null) req.body = {};
      next();
    });
  };
}

/**
 * JSON or an HTML form (`application/x-www-form-urlencoded`), for `POST /token` (OAuth clients
 * send forms). Flat forms only: `a[b]=c` stays a plain key, never an object.
 */
export function formOrJsonBody(limit: number): RequestHandler {
  const json = jsonBody(limit);
  const form = express.urlencoded({ limit, extended: false, parameterLimit: 20 });
  return (req, res, next) => (req.is("application/x-www-form-urlencoded") ? form(req, res, next) : json(req, res, next));
}

type Message = { code: string; message: string };
const m = (code: string, message: string): Message => ({ code, message });

/** Control characters (C0, DEL, C1) have no place in names or addresses: they end up in mail headers. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A URL or a bare domain in a display name ("Visit evil.example", "www.x", "https://..."): names
 * end up in emails and pages, where a link-like name reads as the app speaking.
 */
const URL_LIKE = /[a-z][a-z0-9+.-]*:\/\/|\bwww\.|[\p{L}\p{N}-]\.[a-z]{2,63}\b|[\p{L}\p{N}]@[\p{L}\p{N}]/iu;

/** A required single string; arrays, objects, numbers and booleans are refused, not coerced. */
function requiredString(field: string): ValidationChain {
  return body(field)
    .exists({ values: "null" })
    .withMessage(m("REQUIRED", `${field} is required.`))
    .bail()
    .custom((v) => typeof v === "string")
    .withMessage(m("INVALID_TYPE", `${field} must be a string.`))
    .bail()
    // A lone surrogate is not text (it cannot be typed, encoded as UTF-8 or put in an email).
    .custom((v: string) => v.isWellFormed())
    .withMessage(m("INVALID_CHARACTERS", `${field} must be valid Unicode text.`))
    .bail();
}

/** An email: one string, at most 254 characters, one address, no control characters. */
export function emailField(field = "email"): ValidationChain {
  return requiredString(field)
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
function passwordField(field = "password", maxChars = 4096): ValidationChain {
  return requiredString(field)
    .isLength({ min: 1 })
    .withMessage(m("REQUIRED", `${field} is required.`))
    .bail()
    .isLength({ max: maxChars })
    .withMessage(m("TOO_LONG", `${field} is too long.`));
}

/** A token from an email link: one string of bounded length (its shape is checked in core). */
function tokenField(field = "token"): ValidationChain {
  return requiredString(field).isLength({ min: 1, max: 256 }).withMessage(m("INVALID_LENGTH", `${field} must have 1 to 256 characters.`));
}

/** `grant_type` of `POST /token`: absent, or `password`. */
function grantTypeField(): ValidationChain {
  return body("grant_type")
    .optional()
    .custom((v) => v === "password")
    .withMessage(m("UNSUPPORTED_GRANT_TYPE", 'grant_type must be "password".'));
}

/** An optional display name: 1 to 100 characters without control, bidi or invisible characters and without URLs, or null. */
function nameField(field = "name"): ValidationChain {
  return body(field)
    .optional({ values: "null" })
    .custom((v) => typeof v === "string")
    .withMessage(m("INVALID_TYPE", `${field} must be a string.`))
    .bail()
    .custom((v: string) => v.isWellFormed())
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
export async function validate(req: Request, chains: ValidationChain[]): Promise<Record<string, unknown>> {
  for (const chain of chains) await chain.run(req);
  const result = validationResult(req);
  if (!result.isEmpty()) {
    const errors: FieldError[] = result.array({ onlyFirstError: true }).map((e) => {
      const msg = e.msg as Message;
      return { field: e.type === "field" ? e.path : "body", code: msg.code, message: msg.message };
    });
    throw new AuthError("VALIDATION_FAILED", { errors });
  }
  return matchedData(req, { locations: ["body"], includeOptionals: false });
}

/** One body field: its validation (express-validator) and its JSON Schema (OpenAPI), side by side. */
export interface Field {
  name: string;
  required: boolean;
  schema: Record<string, unknown>;
  chain: () => ValidationChain;
}

/** The body fields of the routes: each a validation chain with its JSON Schema. */
export const fields = {
  email: (name = "email"): Field => ({
    name,
    required: true,
    schema: { type: "string", format: "email", maxLength: MAX_EMAIL_LENGTH, description: "Trimmed, NFC-normalized and lower-cased before use." },
    chain: () => emailField(name),
  }),
  password: (name = "password", description = "As typed; never truncated."): Field => ({
    name,
    required: true,
    schema: { type: "string", minLength: 1, maxLength: 4096, description },
    chain: () => passwordField(name),
  }),
  name: (): Field => ({
    name: "name",
    required: false,
    schema: { type: ["string", "null"], minLength: 1, maxLength: 100 },
    chain: () => nameField(),
  }),
  token: (name = "token", description = "The token from the emailed link."): Field => ({
    name,
    required: true,
    schema: { type: "string", minLength: 1, maxLength: 256, description },
    chain: () => tokenField(name),
  }),
  optionalToken: (name: string, description: string): Field => ({
    name,
    required: false,
    schema: { type: "string", maxLength: 256, description },
    chain: () => body(name).optional(),
  }),
  grantType: (): Field => ({
    name: "grant_type",
    required: false,
    schema: { type: "string", enum: ["password"] },
    chain: () => grantTypeField(),
  }),
};
