import type { Admission } from "../../ports/credential-store.js";
import session from "express-session";
import { AuthError } from "../../errors.js";
import { parseSessionId } from "../../ports/session-store.js";
import type { SessionEntry, SessionLimits, SessionStore } from "../../ports/session-store.js";
import type { PublicUser, SessionMeta } from "../../types.js";

type Callback = (err?: unknown) => void;
export type StoredSession = session.SessionData & { gh?: SessionMeta };

/**
 * Gives `meta` this request's copy of the user without making it part of what is stored: the
 * copy lives once per user, in the credential record, and every read brings the current one.
 */
export function attachUser(meta: SessionMeta, user: PublicUser): SessionMeta {
  Object.defineProperty(meta, "user", { value: user, enumerable: false, writable: true, configurable: true });
  return meta;
}

/**
 * express-session's view of a {@link SessionStore}: `get`, `set` and `destroy` for the sessions
 * express-session loads and saves, plus the sign-in's `create` and `rotate`, which the
 * strategy calls itself. A signed-in session is read together with its user's record (one
 * call), written only while it is live (a slow request cannot resurrect a revoked session), and
 * a save of exactly what was last written for that id is skipped. Other ids are the app's own
 * sessions for visitors (Gatehouse stores none).
 */
export class ExpressSessionStore extends session.Store {
  /** Set by express-session on its store: gives the request a new id and an empty session. */
  declare generate: (req: Express.Request) => void;

  /** What was last written from (or read into) a session, and under which id. */
  private readonly written = new WeakMap<object, { sid: string; body: string }>();

  /** A session already read for the express-session run in progress (see {@link withRead}). */
  private preread: { sid: string; data: StoredSession | null } | undefined;

  constructor(
    private readonly store: SessionStore,
    private readonly options: { ttl: (sess: StoredSession) => number; now: () => number; settle: (userId: string) => Promise<void> },
  ) {
    super();
  }

  override get(sid: string, cb: (err: unknown, session?: session.SessionData | null) => void): void {
    const preread = this.preread;
    this.preread = undefined;
    if (preread?.sid === sid) return cb(null, preread.data);
    this.read(sid).then((data) => cb(null, data), cb);
  }

  /**
   * Runs `fn` (a call of the express-session middleware) with the session `sid` already read as
   * `data`: its `get` of that id answers `data` at once, without a second read. express-session
   * calls `get` synchronously within the middleware call, so nothing else can take it.
   */
  withRead(sid: string, data: StoredSession | null, fn: () => void): void {
    this.preread = { sid, data };
    try {
      fn();
    } finally {
      this.preread = undefined;
    }
  }

  override set(sid: string, sess: session.SessionData, cb?: Callback): void {
    this.save(sid, sess as StoredSession).then(() => cb?.(), (err: unknown) => (cb ? cb(err) : undefined));
  }

  override destroy(sid: string, cb?: Callback): void {
    this.store.destroy(sid).then(() => cb?.(), (err: unknown) => (cb ? cb(err) : undefined));
  }

  /** The session `sid` with its user's copy attached, or null when it is not (or no longer) live. */
  async read(sid: string): Promise<StoredSession | null> {
    const owned = parseSessionId(sid);
    if (!owned) {
      const raw = await this.store.readPlain(sid);
      if (raw === null) return null;
      const data = JSON.parse(raw) as StoredSession;
      // A sign-in stored by an earlier version, before sessions were checked against the
      // credential record: it no longer counts (the user signs in again); the app's data stays.
      delete data.gh;
      return data;
    }
    let read = await this.store.read(sid, this.options.now());
    if (read.status === "pending") {
      // A change of this user was cut off by an outage: settle it, then read again.
      await this.options.settle(owned.userId);
      read = await this.store.read(sid, this.options.now());
    }
    if (read.status === "pending") throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
    if (read.status === "none") return null;
    const data = JSON.parse(read.body) as StoredSession;
    if (!data.gh) return null;
    attachUser(data.gh, JSON.parse(read.user) as PublicUser);
    return data;
  }

  private async save(sid: string, sess: StoredSession): Promise<void> {
    const ttl = this.options.ttl(sess);
    if (ttl <= 0) return this.store.destroy(sid);
    const body = JSON.stringify(sess);
    if (!parseSessionId(sid)) {
      // A session with nothing in it (a visitor's, or one a failed sign-in left) is never stored.
      if (Object.keys(sess).every((key) => key === "cookie")) return;
      return this.store.writePlain(sid, body, ttl);
    }
    const last = this.written.get(sess);
    if (last && last.sid === sid && last.body === body) return;
    // A session that ended meanwhile (logout, revocation) is not written: nothing to do.
    await this.store.write(sid, body, ttl);
    this.written.set(sess, { sid, body });
  }

  /** Begins the signed-in session `sess` under `sid` (see SessionStore.create). */
  async create(sid: string, sess: StoredSession, admission: Admission, entry: SessionEntry, limits: Omit<SessionLimits, "ttl">): Promise<"created" | "refused" | "pending"> {
    const body = JSON.stringify(sess);
    const verdict = await this.store.create(sid, body, admission, entry, { ...limits, ttl: this.options.ttl(sess) }, this.options.now());
    if (verdict === "created") this.written.set(sess, { sid, body });
    return verdict;
  }

  /** Moves a live session to `sid` with the contents of `sess`; false when it ended meanwhile. */
  async rotate(oldId: string, sid: string, sess: StoredSession): Promise<boolean> {
    const body = JSON.stringify(sess);
    const moved = await this.store.rotate(oldId, sid, body, sess.gh!.handle, this.options.ttl(sess));
    if (moved) this.written.set(sess, { sid, body });
    return moved;
  }
}
