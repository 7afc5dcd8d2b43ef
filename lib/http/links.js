/**
 * Email links, built from `appUrl` and the router's mount path, never from the request's `Host`
 * or `X-Forwarded-Host` (a forged header must not send a reset link to an attacker's site).
 * `mail.links` overrides any of them.
 */
export function linksFor(req, opts) {
    const base = opts.appUrl.href.replace(/\/+$/, "");
    const mount = `${base}${mountPath(req)}`;
    const q = (t) => `?token=${encodeURIComponent(t)}`;
    const custom = opts.mail.links;
    return {
        verifyEmail: custom.verifyEmail ?? ((t) => `${mount}/verify-email${q(t)}`),
        resetPassword: custom.resetPassword ?? ((t) => `${base}/reset-password${q(t)}`),
        confirmEmailChange: custom.confirmEmailChange ?? ((t) => `${mount}/account/confirm-email-change${q(t)}`),
    };
}
/** Per app: mount paths as the app spelled them, by their lower-cased form (bounded by the app's mounts). */
const spelledByApp = new WeakMap();
/**
 * The router's mount path as the app wrote it (`app.use("/auth", ...)`), not as this request
 * spelled it: Express matches paths case-insensitively, so `/AUTH/register` reaches the router
 * with `req.baseUrl` "/AUTH", and a link built from that would carry the visitor's casing. Found
 * by walking the app's routing stack (Express 5 keeps each layer's path); where that is not
 * possible (Express 4 keeps no path on its layers), the request's spelling.
 */
export function mountPath(req) {
    const asked = req.baseUrl;
    if (!asked)
        return "";
    const key = asked.toLowerCase();
    const app = req.app;
    if (!app)
        return asked;
    let spelled = spelledByApp.get(app);
    if (!spelled)
        spelledByApp.set(app, (spelled = new Map()));
    const known = spelled.get(key);
    if (known !== undefined)
        return known;
    // Express 4 keeps its router at `_router` (and its `app.router` getter throws); Express 5 at `router`.
    let stack;
    try {
        stack = app._router?.stack ?? app.router?.stack;
    }
    catch {
        stack = undefined;
    }
    const found = walk(stack, key, "");
    if (found === undefined)
        return asked;
    if (spelled.size < 100)
        spelled.set(key, found);
    return found;
}
function walk(stack, rest, prefix) {
    if (!Array.isArray(stack))
        return undefined;
    for (const layer of stack) {
        const path = layer.rawPath;
        if (typeof path !== "string" || path === "/" || !path.startsWith("/"))
            continue;
        const p = path.replace(/\/+$/, "");
        const lower = p.toLowerCase();
        if (rest === lower)
            return prefix + p;
        if (rest.startsWith(`${lower}/`)) {
            const deeper = walk(layer.handle?.stack, rest.slice(lower.length), prefix + p);
            if (deeper !== undefined)
                return deeper;
        }
    }
    return undefined;
}
