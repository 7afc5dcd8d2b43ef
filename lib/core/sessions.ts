import type { RefreshFamily } from "../ports/refresh-store.js";
import { randomBytes } from "node:crypto";
import type { PublicUser, RequestContext, SessionMeta, UserRecord } from "../types.js";
import type { Events } from "./events.js";
import type { SignInGrant } from "./sign-in.js";

/** Session lifetimes, in seconds. */
export interface SessionTimeouts {
  idleTimeout: number;
  absoluteTimeout: number;
  /** The stored session (and its copy of the user) is renewed at most this often. */
  touchAfter: number;
}

/** True when the session is past its idle or absolute timeout at `now` (ms). */
export function sessionExpired(meta: SessionMeta, now: number, t: Omit<SessionTimeouts, "touchAfter">): boolean {
  return now - meta.seenAt > t.idleTimeout * 1000 || now - meta.createdAt > t.absoluteTimeout * 1000;
}

/** The latest moment (ms) a session can live, however active: its absolute deadline. */
export function sessionDeadline(meta: Pick<SessionMeta, "createdAt">, t: Pick<SessionTimeouts, "absoluteTimeout">): number {
  return meta.createdAt + t.absoluteTimeout * 1000;
}

/**
 * How long (seconds) the store keeps a session after a write at `now`: until the idle timeout,
 * never past the absolute one. Sessions without a user (a CSRF token only) get the idle timeout.
 */
export function sessionTtl(meta: SessionMeta | undefined, now: number, t: Omit<SessionTimeouts, "touchAfter">): number {
  if (!meta) return t.idleTimeout;
  const until = Math.min(meta.seenAt + t.idleTimeout * 1000, sessionDeadline(meta, t));
  return Math.ceil((until - now) / 1000);
}

/**
 * What a request's credential is worth now:
 * - `valid`: signed in as `user`, nothing to write;
 * - `touched`: signed in, and the stored session must be renewed with `meta` (a later `seenAt`);
 * - `ended`: timed out (or, in JWT mode, the family is gone).
 * A revoked session or one of a deleted user never gets here: its store read finds nothing.
 */
export type SessionValidation = { status: "valid"; user: PublicUser } | { status: "touched"; user: PublicUser; meta: SessionMeta } | { status: "ended" };

export interface SessionsDeps {
  events: Events;
  now: () => number;
  /** Session mode's timeouts; undefined in JWT mode, where a family ends only at its absolute end. */
  timeouts: SessionTimeouts | undefined;
}

/**
 * The rules of a signed-in credential, for both modes (in the spirit of lucia's
 * `validateSession`): whether it is still good, when it is renewed, and the events of its end.
 * The strategies in `http/strategies` only carry it (cookie, bearer).
 */
export class Sessions {
  constructor(private readonly deps: SessionsDeps) {}

  /** A new server-side session's state for `user`, with a handle of its own for listings. */
  start(user: UserRecord, ctx: RequestContext, grant: SignInGrant = {}): SessionMeta {
    const now = this.deps.now();
    const meta = { uid: user.id, handle: randomBytes(16).toString("base64url"), createdAt: now, seenAt: now, ip: ctx.ip, userAgent: ctx.userAgent, authAt: now } as SessionMeta;
    if (grant.restricted) meta.restricted = grant.restricted;
    return meta;
  }

  /** The same session just after a re-authentication (or an enrollment that lifts a restriction). */
  authenticated(meta: SessionMeta, authAt: number): SessionMeta {
    const next: SessionMeta = { ...meta, authAt };
    delete next.restricted;
    return next;
  }

  /** The same session after a privilege change (a new id): the sign-in time and handle stay. */
  renew(meta: SessionMeta): SessionMeta {
    return { ...meta, seenAt: this.deps.now() };
  }

  /**
   * Session mode: timeouts are checked on the server at every request, and every `touchAfter`
   * the stored session is renewed (its idle deadline moves on).
   */
  validate(meta: SessionMeta): SessionValidation {
    const now = this.deps.now();
    const t = this.deps.timeouts;
    if (!t) throw new TypeError("gatehouse: Sessions.validate is for server-side sessions (session mode).");
    if (sessionExpired(meta, now, t)) return { status: "ended" };
    if (now - meta.seenAt < t.touchAfter * 1000) return { status: "valid", user: meta.user };
    return { status: "touched", user: meta.user, meta: { ...meta, seenAt: now } };
  }

  /** JWT mode: a refresh family read for an access token is good until its absolute end. */
  validateFamily(family: RefreshFamily | null): SessionValidation {
    if (!family || family.expiresAt <= this.deps.now()) return { status: "ended" };
    return { status: "valid", user: family.user };
  }

/** Signs this request out with `end`, then reports it. */
  async signOut(user: PublicUser, ctx: RequestContext, end: () => Promise<void>): Promise<void> {
    await end();
    this.deps.events.emit("onLogout", ctx, { user });
  }

  /** Ends sessions of the user with `revoke` (resolving how many), then reports it. */
  async revoke(user: PublicUser, ctx: RequestContext, revoke: () => Promise<number>): Promise<void> {
    const count = await revoke();
    this.deps.events.emit("onSessionRevoked", ctx, { user, count });
  }
}
