import { createHmac } from "node:crypto";
import session from "express-session";
import type { Request, RequestHandler, Response } from "express";
import { AuthError, type ErrorCode } from "../../errors.js";
import type { Logger, SessionSettings } from "../../options.js";
import type { SessionIndex } from "../../ports/session-index.js";
import type { PublicUser, SessionMeta, UserRecord } from "../../types.js";
import { sessionDeadline, sessionExpired, type Sessions } from "../../core/sessions.js";
import { requestContext } from "../request-context.js";
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
type Marked = Request & { [LOADED]?: true };

function call(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

export interface SessionStrategyDeps {
  settings: SessionSettings;
  /** Cookie signing secrets; the first signs, all verify. */
  secrets: string[];
  now: () => number;
  logger: Logger;
  store: session.Store;
  sessions: Sessions;
  index: SessionIndex;
  csrf: Csrf;
}

/**
 * Server-side sessions: express-session on the configured store, plus what it lacks: idle and
 * absolute timeouts checked on the server, session id rotation on every privilege change, a
 * per-user index of sessions, and at most one write per `touchAfter` instead of one per request.
 */
export class SessionStrategy implements Strategy {
  private readonly expressSession: RequestHandler;

  constructor(private readonly deps: SessionStrategyDeps) {
    const s = deps.settings;
    this.expressSession = session({
      name: s.cookieName,
      secret: deps.secrets,
      store: deps.store,
      resave: false,
      saveUninitialized: false,
      unset: "keep",
      // No maxAge: a browser-session cookie. Lifetimes are enforced on the server.
      cookie: { httpOnly: true, sameSite: s.sameSite, secure: s.secure, path: "/" },
    });
  }

  /** Loads the session (once per request) and applies timeouts and the periodic touch. */
  readonly load: RequestHandler = (req, res, next) => {
    const marked = req as Marked;
    if (marked[LOADED]) return next();
    marked[LOADED] = true;
    if (this.deps.settings.secure && !req.secure && !this.warnedInsecure) this.warnInsecure(req);
    this.expressSession(req, res, (err?: unknown) => {
      if (err) return next(err);
      // express-session continues *without* a session when its store reports a disconnect:
      // that is an outage, never an anonymous visitor.
      if (!req.session) return next(new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 }));
      this.validate(req).then(() => next(), next);
    });
  };

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
    return req.session?.gh?.user ?? null;
  }

  currentId(req: Request): string | undefined {
    return req.session?.gh ? req.sessionID : undefined;
  }

  readonly csrfErrors: readonly ErrorCode[] = ["CSRF_INVALID"];

  checkCsrf(req: Request): void {
    this.deps.csrf.check(req);
  }

  /** Starts a session for `user` under a new id (no fixation); answers the new CSRF token. */
  async signIn(req: Request, user: UserRecord, grant?: SignInGrant): Promise<{ csrfToken: string }> {
    // A new id against fixation. A request without a session cookie already has one that this
    // request generated and nobody else has seen: regenerating it would only DEL a key that
    // was never written (a round trip per login).
    if ((req.headers.cookie ?? "").includes(`${this.deps.settings.cookieName}=`)) await this.regenerate(req);
    return { csrfToken: await this.establish(req, this.deps.sessions.start(user, requestContext(req), grant)) };
  }

  authState(req: Request): AuthState | null {
    const meta = req.session?.gh;
    return meta ? { authAt: meta.authAt ?? meta.createdAt, restricted: meta.restricted !== undefined } : null;
  }

  /** Modifying the session makes express-session save it at the end of the request. */
  async markAuthenticated(req: Request, authAt: number): Promise<void> {
    const meta = req.session?.gh;
    if (meta) req.session.gh = this.deps.sessions.authenticated(meta, authAt);
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
   * Moves the signed-in session to a new id, keeping its sign-in time (refresh never extends
   * the absolute timeout); the old id is dead. Returns the fresh user and CSRF token.
   */
  async rotate(req: Request, changed?: UserRecord): Promise<{ user: PublicUser; csrfToken: string }> {
    const meta = req.session.gh;
    if (!meta) throw new AuthError("UNAUTHENTICATED");
    // `changed`: the user whose password this very request just changed; else re-read and check.
    const user = changed ?? (await this.deps.sessions.current(meta));
    if (!user) {
      await this.end(req);
      throw new AuthError("UNAUTHENTICATED");
    }
    const oldId = req.sessionID;
    await this.regenerate(req);
    const csrfToken = await this.establish(req, this.deps.sessions.renew(meta, user));
    await this.forget(meta.uid, oldId);
    return { user: req.session.gh!.user, csrfToken };
  }

  /** Destroys the session in the store and clears the cookie. */
  async signOut(req: Request, res: Response): Promise<void> {
    const meta = req.session.gh;
    const id = req.sessionID;
    await call((cb) => req.session.destroy(cb));
    const s = this.deps.settings;
    res.clearCookie(s.cookieName, { httpOnly: true, sameSite: s.sameSite, secure: s.secure, path: "/" });
    if (meta) await this.forget(meta.uid, id);
  }

  /**
   * Ends every session of the user but `keep` (revocation after a password change or reset).
   * Sessions are found through the per-user index; each is deleted from the store.
   */
  async revokeAll(userId: string, keep?: string): Promise<number> {
    const ids = (await this.deps.index.list(userId, this.deps.now())).filter((id) => id !== keep);
    await Promise.all(
      ids.map(async (id) => {
        await call((cb) => this.deps.store.destroy(id, cb));
        await this.deps.index.remove(userId, id);
      }),
    );
    return ids.length;
  }

  /** The opaque handle of a session in listings: never the session id itself. */
  private handle(sessionId: string): string {
    return createHmac("sha256", this.deps.secrets[0]!).update(`session-handle:${sessionId}`).digest("base64url").slice(0, 22);
  }

  /** The signed-in user's live sessions, newest first, with `current` on this request's. */
  async list(req: Request): Promise<SessionInfo[]> {
    const meta = req.session.gh!;
    const now = this.deps.now();
    const ids = await this.deps.index.list(meta.uid, now);
    const found = await Promise.all(
      ids.map(async (id) => {
        const data = id === req.sessionID ? req.session : await this.read(id);
        const m = (data as { gh?: SessionMeta } | null)?.gh;
        if (!m || m.uid !== meta.uid) {
          // Gone (logged out, expired) or never finished: repair the index.
          await this.forget(meta.uid, id);
          return null;
        }
        if (sessionExpired(m, now, this.deps.settings) || m.pwd !== meta.pwd) return null;
        return { id: this.handle(id), createdAt: new Date(m.createdAt).toISOString(), lastSeenAt: new Date(m.seenAt).toISOString(), ip: m.ip ?? null, userAgent: m.userAgent ?? null, current: id === req.sessionID };
      }),
    );
    return found.filter((s): s is SessionInfo => s !== null).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /**
   * Ends one session of the signed-in user, named by its handle; `NOT_FOUND` for a handle that
   * is not one of theirs. Ending the current session signs this request out.
   */
  async revokeOne(req: Request, res: Response, handle: string): Promise<void> {
    const meta = req.session.gh!;
    const ids = await this.deps.index.list(meta.uid, this.deps.now());
    const id = ids.find((candidate) => this.handle(candidate) === handle);
    if (!id) throw new AuthError("NOT_FOUND");
    if (id === req.sessionID) return this.signOut(req, res);
    await call((cb) => this.deps.store.destroy(id, cb));
    await this.forget(meta.uid, id);
  }

  private read(id: string): Promise<session.SessionData | null | undefined> {
    return new Promise((resolve, reject) => this.deps.store.get(id, (err, data) => (err ? reject(err) : resolve(data))));
  }

  /** Updates the current session's copy of the user (after a change made in this request). */
  async updateUser(req: Request, user: UserRecord): Promise<void> {
    const meta = req.session?.gh;
    if (meta && meta.uid === user.id) req.session.gh = this.deps.sessions.withUser(meta, user);
  }

  private async establish(req: Request, meta: SessionMeta): Promise<string> {
    const now = this.deps.now();
    // Index first: a session that exists must always be findable for "revoke all". An index
    // entry without a session (if the save below fails) is harmless and trimmed later.
    await this.deps.index.add(meta.uid, req.sessionID, sessionDeadline(meta, this.deps.settings), now);
    req.session.gh = meta;
    // A new session id gets a new CSRF token, so a token seen before sign-in is useless after.
    const token = this.deps.csrf.token(req, true);
    await call((cb) => req.session.save(cb));
    return token;
  }

  /** Applies core's verdict on the session: ended, renewed (every `touchAfter`), or as it is. */
  private async validate(req: Request): Promise<void> {
    const meta = req.session.gh;
    if (!meta) return;
    const verdict = await this.deps.sessions.validate(meta);
    if (verdict.status === "ended") return this.end(req);
    // Modifying the session makes express-session save it, which also renews its TTL.
    if (verdict.status === "touched") req.session.gh = verdict.meta;
  }

  /** Ends a session that timed out or whose user is gone; the request goes on anonymous. */
  private async end(req: Request): Promise<void> {
    const meta = req.session.gh;
    const id = req.sessionID;
    await this.regenerate(req);
    if (meta) await this.forget(meta.uid, id);
  }

  private regenerate(req: Request): Promise<void> {
    return call((cb) => req.session.regenerate(cb));
  }

  /** Removes an ended session from the index; a failure only leaves an entry the index trims itself. */
  private async forget(userId: string, sessionId: string): Promise<void> {
    await this.deps.index.remove(userId, sessionId).catch((err: unknown) => {
      this.deps.logger.warn("gatehouse: could not update the session index", err);
    });
  }
}
