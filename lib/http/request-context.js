import { randomUUID } from "node:crypto";
const CONTEXT = Symbol("gatehouse.requestContext");
const MAX_USER_AGENT = 256;
/** A caller's request id is kept only when it is a short token (it ends up in logs and hooks). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Who made this request, as core sees it: computed once per request. */
export function requestContext(req) {
    const marked = req;
    if (marked[CONTEXT])
        return marked[CONTEXT];
    const given = req.get("x-request-id");
    const ctx = {
        // IPv4-mapped IPv6 (`::ffff:1.2.3.4`) shown as IPv4, as a person reads it.
        ip: req.ip?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, ""),
        userAgent: req.get("user-agent")?.slice(0, MAX_USER_AGENT),
        requestId: given && REQUEST_ID.test(given) ? given : randomUUID(),
    };
    marked[CONTEXT] = ctx;
    return ctx;
}
