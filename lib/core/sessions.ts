import type { RefreshFamily } from "../ports/refresh-store.js";
import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, RequestContext, SessionMeta, UserRecord } from "../types.js";
import { passwordFingerprint } from "./email-tokens.js";
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
 * - `touched`: signed in, and the stored session must be renewed with `meta` (a later `seenAt`,
 *   the fresh user);
 * - `ended`: timed out, the user is gone, or the password changed since sign-in.
 */
export type SessionValidation = { status: "valid"; user: PublicUser } | { status: "touched"; user: PublicUser; meta: SessionMeta } | { status: "ended" };

export interface SessionsDeps {
  users: UserStore;
  events: Events;
  serialize: (user: UserRecord) => PublicUser;
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

  /** A new server-side session's state for `user`. */
  start(user: UserRecord, ctx: RequestContext, grant: SignInGrant = {}): SessionMeta {
    const now = this.deps.now();
    const meta: SessionMeta = { uid: user.id, user: this.deps.serialize(user), createdAt: now, seenAt: now, ip: ctx.ip, userAgent: ctx.userAgent, pwd: passwordFingerprint(user.passwordHash), authAt: now };
    if (grant.restricted) meta.restricted = grant.restricted;
    return meta;
  }

  /** The same session just after a re-authentication (or an enrollment that lifts a restriction). */
  authenticated(meta: SessionMeta, authAt: number): SessionMeta {
    const next: SessionMeta = { ...meta, authAt };
    delete next.restricted;
    return next;
  }

  /** The same session after a privilege change (a new id): the sign-in time stays, the user is fresh. */
  renew(meta: SessionMeta, user: UserRecord): SessionMeta {
    return { ...meta, user: this.deps.serialize(user), seenAt: this.deps.now(), pwd: passwordFingerprint(user.passwordHash), persisted: undefined };
  }

  /** The same session with a fresh copy of the user (a change made by this request). */
  withUser(meta: SessionMeta, user: UserRecord): SessionMeta {
    return { ...meta, user: this.deps.serialize(user), pwd: passwordFingerprint(user.passwordHash) };
  }

  /**
   * Session mode: timeouts are checked on the server at every request; every `touchAfter` the
   * user is re-read, and the session ends when it is gone or its password changed (a session
   * that slipped past "revoke all" during a reset ends at its next check).
   */
  async validate(meta: SessionMeta): Promise<SessionValidation> {
    const now = this.deps.now();
    const t = this.deps.timeouts;
    if (!t) throw new TypeError("gatehouse: Sessions.validate is for server-side sessions (session mode).");
    if (sessionExpired(meta, now, t)) return { status: "ended" };
    if (now - meta.seenAt < t.touchAfter * 1000) return { status: "valid", user: meta.user };
    const user = await this.deps.users.findById(meta.uid);
    if (!user || !this.stillValid(meta, user)) return { status: "ended" };
    return { status: "touched", user: this.deps.serialize(user), meta: { ...meta, seenAt: now, user: this.deps.serialize(user) } };
  }

  /** Before a rotation: the stored user, when the session may move on; null when it must end. */
  async current(meta: SessionMeta): Promise<UserRecord | null> {
    const user = await this.deps.users.findById(meta.uid);
    return user && this.stillValid(meta, user) ? user : null;
  }

  /** JWT mode: a refresh family read for an access token is good until its absolute end. */
  validateFamily(family: RefreshFamily | null): SessionValidation {
    if (!family || family.expiresAt <= this.deps.now()) return { status: "ended" };
    return { status: "valid", user: family.user };
  }

  /** A session stays valid only while the password is the one it was signed in with. */
  private stillValid(meta: SessionMeta, user: UserRecord): boolean {
    return meta.pwd === passwordFingerprint(user.passwordHash);
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
