import { AuthError } from "../errors.js";
/**
 * True when a parser of the app (`express.json()`, `express.urlencoded()`, ...) mounted before the
 * router has already read the body: the stream is spent, and the router's own parser would skip it.
 */
export function readByApp(req) {
    return req.readableEnded;
}
/**
 * The size of a body the app's parser read: its `Content-Length`, or `parsedBytes` (the size of
 * the parsed content, never larger than what was sent) where that is larger, as for a chunked or
 * compressed body. So a body within the limit is never refused.
 */
function sizeOf(req, parsedBytes) {
    return Math.max(Number(req.headers["content-length"]) || 0, parsedBytes);
}
/**
 * Holds a JSON body the app already parsed to the router's own rules: at most `limit` bytes (413),
 * an object or an array (400 `INVALID_JSON` otherwise). A body the app kept raw (`express.raw()`,
 * `express.text()`) is parsed here. Leaves `req.body` an object or array.
 */
export function adoptJson(req, limit) {
    let body = req.body;
    // Serialized again, the parsed JSON has lost its whitespace and escapes: at most what was sent.
    const parsedBytes = Buffer.isBuffer(body) ? body.length : Buffer.byteLength(typeof body === "string" ? body : (JSON.stringify(body) ?? ""));
    if (sizeOf(req, parsedBytes) > limit)
        throw new AuthError("PAYLOAD_TOO_LARGE");
    if (Buffer.isBuffer(body) || typeof body === "string") {
        try {
            body = JSON.parse(body.toString());
        }
        catch {
            throw new AuthError("INVALID_JSON");
        }
    }
    if (body === undefined)
        body = {};
    if (typeof body !== "object" || body === null)
        throw new AuthError("INVALID_JSON");
    req.body = body;
}
/** Holds a form the app already parsed to the router's rules: `limit` bytes, `parameterLimit` fields (413 beyond). */
export function adoptForm(req, limit, parameterLimit) {
    const body = req.body ?? {};
    if (typeof body !== "object" || body === null || Buffer.isBuffer(body))
        throw new AuthError("UNSUPPORTED_MEDIA_TYPE");
    // Names and values, decoded: at most what was sent.
    const parsedBytes = Object.entries(body).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
    if (sizeOf(req, parsedBytes) > limit || Object.keys(body).length > parameterLimit)
        throw new AuthError("PAYLOAD_TOO_LARGE");
    req.body = body;
}
