import { randomBytes } from "node:crypto";
/** True when the session is past its idle or absolute timeout at `now` (ms). */
export function sessionExpired(meta, now, t) {
    return now - meta.seenAt > t.idleTimeout * 1000 || now - meta.createdAt > t.absoluteTimeout * 1000;
}
/** The latest moment (ms) a session can live, however active: its absolute deadline. */
export function sessionDeadline(meta, t) {
    return meta.createdAt + t.absoluteTimeout * 1000;
}
/**
 * How long (seconds) the store keeps a session after a write at `now`: until the idle timeout,
 * never past the absolute one. Sessions without a user (a CSRF token only) get the idle timeout.
 */
export function sessionTtl(meta, now, t) {
    if (!meta)
        return t.idleTimeout;
    const until = Math.min(meta.seenAt + t.idleTimeout * 1000, sessionDeadline(meta, t));
    return Math.ceil((until - now) / 1000);
}
/**
 * The rules of a signed-in credential, for both modes (in the spirit of lucia's
 * `validateSession`): whether it is still good, when it is renewed, and the events of its end.
 * The strategies in `http/strategies` only carry it (cookie, bearer).
 */
export class Sessions {
    deps;
    constructor(deps) {
        this.deps = deps;
    }
    /** A new server-side session's state for `user`, with a handle of its own for listings. */
    start(user, ctx, grant = {}) {
        const now = this.deps.now();
        const meta = { uid: user.id, handle: randomBytes(16).toString("base64url"), createdAt: now, seenAt: now, ip: ctx.ip, userAgent: ctx.userAgent, authAt: now };
        if (grant.restricted)
            meta.restricted = grant.restricted;
        return meta;
    }
    /** The same session just after a re-authentication (or an enrollment that lifts a restriction). */
    authenticated(meta, authAt) {
        const next = { ...meta, authAt };
        delete next.restricted;
        return next;
    }
    /** The same session after a privilege change (a new id): the sign-in time and handle stay. */
    renew(meta) {
        return { ...meta, seenAt: this.deps.now() };
    }
    /**
     * Session mode: timeouts are checked on the server at every request, and every `touchAfter`
     * the stored session is renewed (its idle deadline moves on).
     */
    validate(meta) {
        const now = this.deps.now();
        const t = this.deps.timeouts;
        if (!t)
            throw new TypeError("gatehouse: Sessions.validate is for server-side sessions (session mode).");
        if (sessionExpired(meta, now, t))
            return { status: "ended" };
        if (now - meta.seenAt < t.touchAfter * 1000)
            return { status: "valid", user: meta.user };
        return { status: "touched", user: meta.user, meta: { ...meta, seenAt: now } };
    }
    /** JWT mode: a refresh family read for an access token is good until its absolute end. */
    validateFamily(family) {
        if (!family || family.expiresAt <= this.deps.now())
            return { status: "ended" };
        return { status: "valid", user: family.user };
    }
    /** Signs this request out with `end`, then reports it. */
    async signOut(user, ctx, end) {
        await end();
        this.deps.events.emit("onLogout", ctx, { user });
    }
    /** Ends sessions of the user with `revoke` (resolving how many), then reports it. */
    async revoke(user, ctx, revoke) {
        const count = await revoke();
        this.deps.events.emit("onSessionRevoked", ctx, { user, count });
    }
}
