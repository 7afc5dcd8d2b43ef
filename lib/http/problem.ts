import type { ErrorRequestHandler, Response } from "express";
import { AuthError, isAuthError, type ErrorCode } from "../errors.js";
import type { Logger } from "../options.js";

/** Writes an RFC 9457 problem+json answer for an {@link AuthError}. */
export function sendProblem(res: Response, err: AuthError): void {
  if (err.retryAfter !== undefined) res.setHeader("Retry-After", String(Math.max(1, Math.ceil(err.retryAfter))));
  res.setHeader("Cache-Control", "no-store");
  res
    .status(err.status)
    .type("application/problem+json")
    .send(
      JSON.stringify({
        type: "about:blank",
        status: err.status,
        code: err.code,
        title: err.message,
        ...(err.errors ? { errors: err.errors } : {}),
      }),
    );
}

/** body-parser's error types, mapped to our codes. */
const BODY_ERRORS: Record<string, ErrorCode> = {
  "entity.parse.failed": "INVALID_JSON",
  "entity.too.large": "PAYLOAD_TOO_LARGE",
  "encoding.unsupported": "UNSUPPORTED_MEDIA_TYPE",
  "charset.unsupported": "UNSUPPORTED_MEDIA_TYPE",
  "parameters.too.many": "PAYLOAD_TOO_LARGE",
};

/** A body-parser failure (the router's parser or the app's) as our error; undefined for any other error. */
export function toBodyError(err: unknown): AuthError | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  if (typeof type === "string" && type in BODY_ERRORS) return new AuthError(BODY_ERRORS[type] as ErrorCode);
  const status = (err as { status?: unknown } | null)?.status;
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
export function toAuthError(err: unknown, logger: Logger): AuthError {
  if (isAuthError(err)) {
    if (err.code === "SERVICE_UNAVAILABLE" && err.cause) logger.error("gatehouse: a store is unavailable", err.cause);
    return err;
  }
  // A path parameter that is not valid percent-encoding (`/sessions/%E0%A4%A`): no such resource.
  if (err instanceof URIError) return new AuthError("NOT_FOUND");
  const bodyError = toBodyError(err);
  if (bodyError) return bodyError;
  logger.error("gatehouse: unexpected error", err);
  return new AuthError("INTERNAL_ERROR");
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    sendProblem(res, toAuthError(err, logger));
  };
}
