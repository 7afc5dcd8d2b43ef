import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { IncomingMessage } from "node:http";
import session from "express-session";
import type { Request, RequestHandler, Response } from "express";
import { AuthError, type ErrorCode } from "../../errors.js";
import type { Logger, SessionSettings } from "../../options.js";
import type { KeptCredential } from "../../ports/credential-store.js";
import type { SessionStore } from "../../ports/session-store.js";
import type { PublicUser, SessionMeta, UserRecord } from "../../types.js";
import type { Credentials } from "../../core/credentials.js";
import { newSessionId } from "../../ports/session-store.js";
import { sessionDeadline, sessionExpired, sessionTtl, type Sessions } from "../../core/sessions.js";
import { attachUser, ExpressSessionStore, type StoredSession } from "./express-session-store.js";
import { readCookie, requestContext } from "../request-context.js";
import type { AuthState, SessionInfo, Strategy } from "./strategy.js";
import type { SignInGrant } from "../../core/sign-in.js";
import type { Csrf } from "../csrf.js";

declare module "express-session" {
  interface SessionData {
    gh?: SessionMeta;
  }
}


/** Marks a request whose session was already loaded, so nested use (router + requireUser) loads once. */
const LOADED = Symbol("gatehouse.sessionLoaded");
/** The user a session id is being made for (read by express-session's `genid`). */
const OWNER = Symbol("gatehouse.sessionOwner");
/** A live session read without express-session, which runs only when code touches `req.session` (see `load`). */
const DEFERRED = Symbol("gatehouse.deferredSession");
type Deferred = { data: StoredSession; materialize: () => void };
type Marked = Request & { [LOADED]?: true; [OWNER]?: string; [DEFERRED]?: Deferred };

/**
 * Installs Gatehouse's `session` accessor on `http.IncomingMessage.prototype` (once per process,
 * by the first session-mode router; Passport adds `req.login` there the same way) and answers
 * whether it is there: for a request with a deferred session, reading or assigning
 * `req.session` first runs express-session on the session already read; every other request
 * sees its own property, which express-session (anyone's) assigns as before. One accessor on the
 * prototype rather than one per request: an accessor defined on each request object cost some
 * 8 us per request. When another `session` accessor is already there, the prototype is left
 * alone and every request takes express-session at once.
 */
function installSessionAccessor(): boolean {
  const proto = IncomingMessage.prototype;
  const existing = Object.getOwnPropertyDescriptor(proto, "session");
  if (existing) return existing.get === readSession;
  Object.defineProperty(proto, "session", { configurable: true, enumerable: false, get: readSession, set: assignSession });
  return true;
}

function readSession(this: Marked): unknown {
  const deferred = this[DEFERRED];
  if (!deferred) return undefined;
  deferred.materialize();
  return this.session;
}

function assignSession(this: Marked, value: unknown): void {
  this[DEFERRED]?.materialize();
  Object.defineProperty(this, "session", { value, writable: true, enumerable: true, configurable: true });
}

/** How many verified session cookies {@link SessionCookies} keeps. */
const VERIFIED_COOKIES = 10_000;

/**
 * Reads the session cookie as express-session reads it (the first cookie of the name, unquoted,
 * percent-decoded, `s:<id>.<HMAC-SHA256>` under one of the secrets). A client sends one cookie
 * many times, so the exact values that verified are kept (at most {@link VERIFIED_COOKIES}, the
 * oldest dropped first): only a value signed with one of the secrets is ever kept, and it always
 * verifies to the same id.
 */
export class SessionCookies {
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly name: string,
    private readonly secrets: readonly string[],
  ) {}

  /** The session id of the `Cookie` header's session cookie, or undefined (express-session then decides). */
  sessionId(header: string | undefined): string | undefined {
    const raw = readCookie(header, this.name);
    if (raw === undefined) return undefined;
    const known = this.verified.get(raw);
    if (known !== undefined) return known;
    const id = this.verify(raw);
    if (id !== undefined) {
      this.verified.set(raw, id);
      if (this.verified.size > VERIFIED_COOKIES) this.verified.delete(this.verified.keys().next().value!);
    }
    return id;
  }

  private verify(raw: string): string | undefined {
    let value = raw.length > 1 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    if (value.includes("%")) {
      try {
        value = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
    const dot = value.lastIndexOf(".");
    if (!value.startsWith("s:") || dot < 2) return undefined;
    const id = value.slice(2, dot);
    const given = Buffer.from(value.slice(2));
    for (const secret of this.secrets) {
      const expected = Buffer.from(`${id}.${createHmac("sha256", secret).update(id).digest("base64").replace(/=+$/, "")}`);
      if (expected.length === given.length && timingSafeEqual(expected, given)) return id;
    }
    return undefined;
  }
}

function call(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

export interface SessionStrategyDeps {
  settings: SessionSettings;
  /** Cookie signing secrets; the first signs, all verify. */
  secrets: string[];
  now: () => number;
  logger: Logger;
  store: SessionStore;
  sessions: Sessions;
  credentials: Credentials;
  serialize: (user: UserRecord) => PublicUser;
  csrf: Csrf;
}

/**
 * Server-side sessions: express-session on Gatehouse's session store, plus what it lacks: idle
 * and absolute timeouts checked on the server, session id rotation on every privilege change,
 * sessions kept in their user's slot and checked against the user's credential record on every
 * read (ports/session-store.ts), and at most one write per `touchAfter` instead of one per request.
 */
export class SessionStrategy implements Strategy {
  private readonly expressSession: RequestHandler;
  private readonly cookies: SessionCookies;
  /** Whether a live session can be deferred (see {@link installSessionAccessor}). */
  private readonly deferrable = installSessionAccessor();
  /** express-session's view of the session store (it listens to its `disconnect` and `connect` events). */
  readonly expressStore: ExpressSessionStore;

  constructor(private readonly deps: SessionStrategyDeps) {
    const s = deps.settings;
    this.cookies = new SessionCookies(s.cookieName, deps.secrets);
    this.expressStore = new ExpressSessionStore(deps.store, {
      ttl: (sess) => sessionTtl(sess.gh, deps.now(), s),
      now: deps.now,
      settle: (userId) => deps.credentials.settle(userId),
    });
    this.expressSession = session({
      name: s.cookieName,
      secret: deps.secrets,
      store: this.expressStore,
      // A signed-in session's id carries its user (ports/session-store.ts); any other is random.
      genid: (req) => {
        const owner = (req as Marked)[OWNER];
        delete (req as Marked)[OWNER];
        return owner === undefined ? randomBytes(24).toString("base64url") : newSessionId(owner);
      },
      resave: false,
      saveUninitialized: false,
      unset: "keep",
      // No maxAge: a browser-session cookie. Lifetimes are enforced on the server.
      cookie: { httpOnly: true, sameSite: s.sameSite, secure: s.secure, path: "/" },
    });
  }

  /**
   * Loads the session (once per request) and applies timeouts and the periodic touch.
   *
   * A request with the cookie of a live session that needs no write (the common protected
   * request) runs none of express-session's per-request work (its cookie parsing, two hashes of
   * the session, its response hooks): the session is read here, and `req.session` is an
   * accessor that runs express-session on the session already read the first time code touches
   * it, so from then on it is express-session's own object, saved as usual. Every other request
   * (no cookie, a bad signature, an ended session, one due for its touch) goes through
   * express-session at once, with the session read here handed to it: one read either way.
   */
  readonly load: RequestHandler = (req, res, next) => {
    const marked = req as Marked;
    if (marked[LOADED]) return next();
    marked[LOADED] = true;
    if (this.deps.settings.secure && !req.secure && !this.warnedInsecure) this.warnInsecure(req);
    const sid = this.cookies.sessionId(req.headers.cookie);
    if (sid === undefined) return this.runExpressSession(req, res, next);
    this.expressStore.read(sid).then((data) => {
      if (this.deferrable && req instanceof IncomingMessage && data?.gh && this.deps.sessions.validate(data.gh).status === "valid") {
        this.defer(req, res, sid, data);
        return next();
      }
      this.expressStore.withRead(sid, data, () => this.runExpressSession(req, res, next));
    }, next);
  };

  /** express-session on this request, then the session's timeouts. */
  private runExpressSession(req: Request, res: Response, next: (err?: unknown) => void): void {
    this.expressSession(req, res, (err?: unknown) => {
      if (err) return next(err);
      // express-session continues *without* a session when its store reports a disconnect:
      // that is an outage, never an anonymous visitor.
      if (!req.session) return next(new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 }));
      // Only an ended session has store work to wait for; every other request goes on at once
      // (no promise and no extra turn of the event loop on the hot path).
      let ending: Promise<void> | undefined;
      try {
        ending = this.validate(req);
      } catch (e) {
        return next(e);
      }
      if (ending) ending.then(() => next(), next);
      else next();
    });
  }

  /** Gives the request the live session `data` of `sid`, with express-session run on first use of `req.session`. */
  private defer(req: Request, res: Response, sid: string, data: StoredSession): void {
    const marked = req as Marked;
    req.sessionID = sid;
    req.sessionStore = this.expressStore;
    marked[DEFERRED] = {
      data,
      materialize: () => {
        delete marked[DEFERRED];
        // Synchronous: the store answers the session already read (ExpressSessionStore.withRead).
        // Should the store have reported a disconnect meanwhile, express-session leaves
        // `req.session` unset, as it does for any request during an outage.
        this.expressStore.withRead(sid, data, () => this.expressSession(req, res, () => undefined));
      },
    };
  }

  /** This request's session state, without running express-session for a deferred one. */
  private meta(req: Request): SessionMeta | undefined {
    return ((req as Marked)[DEFERRED]?.data ?? req.session)?.gh;
  }

  /**
   * Runs a deferred express-session before the session is replaced: its hooks set the new
   * session's cookie and save it at the end, and it must not read the old id from the cookie
   * after the new one is given.
   */
  private materialized(req: Request): void {
    (req as Marked)[DEFERRED]?.materialize();
  }

  private warnedInsecure = false;

  /**
   * Cookies are `Secure` (an https `appUrl`) but this request reached Express over http: express-session
   * then sets no cookie at all, and a login answers 200 without signing anyone in. Behind a
   * TLS-terminating proxy that is a missing `trust proxy`; said once, clearly.
   */
  private warnInsecure(req: Request): void {
    this.warnedInsecure = true;
    const proto = req.get("x-forwarded-proto");
    this.deps.logger.warn(
      proto
        ? `gatehouse: appUrl is https and session cookies are Secure, but this request reached Express over http (X-Forwarded-Proto: ${proto}) and Express does not trust the proxy, so no session cookie will be set and sign-ins will not stick. Set app.set("trust proxy", 1) (the number of proxies in front of the app) before mounting the router.`
        : 'gatehouse: appUrl is https and session cookies are Secure, but this request reached Express over plain http, so no session cookie will be set and sign-ins will not stick. Serve the app over https, or behind a TLS-terminating proxy with app.set("trust proxy", 1); for local http development use an http appUrl (or session.secure: false).',
    );
  }

  /** The signed-in user of this request, or null. */
  current(req: Request): PublicUser | null {
    return this.meta(req)?.user ?? null;
  }

  currentId(req: Request): string | undefined {
    return this.meta(req) ? req.sessionID : undefined;
  }

  readonly csrfErrors: readonly ErrorCode[] = ["CSRF_INVALID"];

  checkCsrf(req: Request): void {
    this.deps.csrf.check(req);
  }

  /** Starts a session for `user` under a new id (no fixation); answers the new CSRF token. */
  async signIn(req: Request, user: UserRecord, grant?: SignInGrant): Promise<{ csrfToken: string }> {
    // A session this request brought along ends: the signed-in one gets a new id (no fixation).
    // Without a session cookie there is nothing stored to end (no round trip).
    if ((req.headers.cookie ?? "").includes(`${this.deps.settings.cookieName}=`)) await this.deps.store.destroy(req.sessionID);
    const meta = this.deps.sessions.start(user, requestContext(req), grant);
    const admission = this.deps.credentials.admission(user);
    const publicUser = this.deps.serialize(user);
    for (let attempt = 0; ; attempt++) {
      const csrfToken = this.fresh(req, meta, publicUser);
      const verdict = await this.expressStore.create(req.sessionID, req.session, admission, { handle: meta.handle, deadline: sessionDeadline(meta, this.deps.settings) }, this.limits());
      if (verdict === "created") return { csrfToken };
      // The password this sign-in verified is no longer the user's (a reset or change won the
      // race), the user is gone, or a change of theirs is stuck: settle the record with the
      // user store once (it may only be behind it), then give up.
      this.abandon(req);
      if (attempt > 0) throw new AuthError("INVALID_CREDENTIALS");
      await this.deps.credentials.settle(user.id);
    }
  }

  private limits() {
    const s = this.deps.settings;
    return { maxPerUser: s.maxPerUser, indexTtl: s.absoluteTimeout };
  }

  /** Gives the request a new session id of `meta`'s user holding `meta`; answers its new CSRF token. */
  private fresh(req: Request, meta: SessionMeta, user: PublicUser): string {
    this.materialized(req);
    (req as Marked)[OWNER] = meta.uid;
    this.expressStore.generate(req);
    req.session.gh = attachUser(meta, user);
    // A new session id gets a new CSRF token, so a token seen before sign-in is useless after.
    return this.deps.csrf.token(req, true);
  }

  /** The request goes on with a new, empty session that nothing will store. */
  private abandon(req: Request): void {
    this.materialized(req);
    this.expressStore.generate(req);
  }

  authState(req: Request): AuthState | null {
    const meta = this.meta(req);
    return meta ? { authAt: meta.authAt ?? meta.createdAt, restricted: meta.restricted !== undefined } : null;
  }

  /** Modifying the session makes express-session save it at the end of the request. */
  async markAuthenticated(req: Request, authAt: number): Promise<void> {
    const meta = req.session?.gh;
    if (meta) req.session.gh = attachUser(this.deps.sessions.authenticated(meta, authAt), meta.user);
  }

  refresh(req: Request): Promise<{ user: PublicUser; csrfToken: string }> {
    return this.rotate(req);
  }

  /** The session moves to a new id (a privilege change); the new CSRF token comes from `GET /csrf`. */
  async afterPasswordChange(req: Request, user: UserRecord): Promise<undefined> {
    await this.rotate(req, user);
    return undefined;
  }

  /**
   * Moves the signed-in session to a new id in one step (the same handle, the sign-in time kept:
   * refresh never extends the absolute timeout); the old id is dead. A session revoked meanwhile
   * does not move: the request is signed out. Returns the user and the new CSRF token.
   */
  async rotate(req: Request, changed?: UserRecord): Promise<{ user: PublicUser; csrfToken: string }> {
    const meta = req.session.gh;
    if (!meta) throw new AuthError("UNAUTHENTICATED");
    const user = changed ? this.deps.serialize(changed) : meta.user;
    const oldId = req.sessionID;
    const csrfToken = this.fresh(req, this.deps.sessions.renew(meta), user);
    if (!(await this.expressStore.rotate(oldId, req.sessionID, req.session))) {
      this.abandon(req);
      throw new AuthError("UNAUTHENTICATED");
    }
    return { user, csrfToken };
  }

  /** Destroys the session in the store and clears the cookie. */
  async signOut(req: Request, res: Response): Promise<void> {
    await call((cb) => req.session.destroy(cb));
    const s = this.deps.settings;
    res.clearCookie(s.cookieName, { httpOnly: true, sameSite: s.sameSite, secure: s.secure, path: "/" });
  }

  kept(req: Request): KeptCredential | undefined {
    return this.meta(req) ? { session: req.sessionID } : undefined;
  }

  /** Ends every other session of the signed-in user in one step; resolves how many were live. */
  async revokeOthers(req: Request): Promise<number> {
    const meta = this.meta(req)!;
    const others = (await this.deps.store.list(meta.uid, this.deps.now())).filter((s) => s.sessionId !== req.sessionID).length;
    // Nothing to end, nothing to write (a session signing in meanwhile is a new sign-in, not one to end).
    if (others > 0) await this.deps.credentials.revokeAll(meta.uid, { session: req.sessionID });
    return others;
  }

  /** The signed-in user's live sessions, newest first, with `current` on this request's. */
  async list(req: Request): Promise<SessionInfo[]> {
    const meta = this.meta(req)!;
    const now = this.deps.now();
    const found = (await this.deps.store.list(meta.uid, now)).map(({ sessionId, body }) => {
      const m = sessionId === req.sessionID ? meta : (JSON.parse(body) as { gh?: SessionMeta }).gh;
      if (!m || sessionExpired(m, now, this.deps.settings)) return null;
      return { id: m.handle, createdAt: new Date(m.createdAt).toISOString(), lastSeenAt: new Date(m.seenAt).toISOString(), ip: m.ip ?? null, userAgent: m.userAgent ?? null, current: sessionId === req.sessionID };
    });
    return found.filter((s): s is SessionInfo => s !== null).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /**
   * Ends one session of the signed-in user, named by its handle (the same across its rotations);
   * `NOT_FOUND` for a handle that is not one of theirs. Ending the current session signs this
   * request out.
   */
  async revokeOne(req: Request, res: Response, handle: string): Promise<void> {
    const meta = this.meta(req)!;
    if (handle === meta.handle) return this.signOut(req, res);
    if (!(await this.deps.store.revoke(meta.uid, handle))) throw new AuthError("NOT_FOUND");
  }

  /** This request's copy of the user, after a change it made (every other session reads it from the record). */
  async updateUser(req: Request, user: UserRecord): Promise<void> {
    const meta = this.meta(req);
    if (meta && meta.uid === user.id) attachUser(meta, this.deps.serialize(user));
  }

  /**
   * Applies core's verdict on the session: ended, renewed (every `touchAfter`), or as it is.
   * Returns a promise only when the session ended (its removal from the store).
   */
  private validate(req: Request): Promise<void> | undefined {
    const meta = req.session.gh;
    if (!meta) return undefined;
    const verdict = this.deps.sessions.validate(meta);
    if (verdict.status === "ended") {
      // Timed out: gone from the store, and the request goes on anonymous.
      return this.deps.store.destroy(req.sessionID).then(() => this.abandon(req));
    }
    // Modifying the session makes express-session save it, which also renews its TTL.
    if (verdict.status === "touched") req.session.gh = attachUser(verdict.meta, meta.user);
    return undefined;
  }
}
