import { randomUUID } from "node:crypto";
import type { Request } from "express";
import type { RequestContext } from "../types.js";

const CONTEXT = Symbol("gatehouse.requestContext");
type Marked = Request & { [CONTEXT]?: RequestContext };

const MAX_USER_AGENT = 256;
/** A caller's request id is kept only when it is a short token (it ends up in logs and hooks). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Who made this request, as core sees it: computed once per request. */
export function requestContext(req: Request): RequestContext {
  const marked = req as Marked;
  if (marked[CONTEXT]) return marked[CONTEXT];
  const given = req.get("x-request-id");
  const ctx: RequestContext = {
    // IPv4-mapped IPv6 (`::ffff:1.2.3.4`) shown as IPv4, as a person reads it.
    ip: req.ip?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, ""),
    userAgent: req.get("user-agent")?.slice(0, MAX_USER_AGENT),
    requestId: given && REQUEST_ID.test(given) ? given : randomUUID(),
  };
  marked[CONTEXT] = ctx;
  return ctx;
}

/** One cookie's value from a `Cookie` header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  // Scanned in place (no array of parts): this runs on every request.
  for (let start = 0; start < header.length; ) {
    let end = header.indexOf(";", start);
    if (end === -1) end = header.length;
    const eq = header.indexOf("=", start);
    if (eq > start && eq < end && header.slice(start, eq).trim() === name) return header.slice(eq + 1, end).trim();
    start = end + 1;
  }
  return undefined;
}
