import { createHmac } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { AuthError, type ErrorCode } from "../../errors.js";
import type { AccessTokens } from "../../ports/access-tokens.js";
import type { RefreshFamily, RefreshStore } from "../../ports/refresh-store.js";
import { isPending, type Pending, type RefreshTokens } from "../../core/refresh-tokens.js";
import type { Sessions } from "../../core/sessions.js";
import type { Credentials } from "../../core/credentials.js";
import type { KeptCredential } from "../../ports/credential-store.js";
import type { PublicUser, UserRecord } from "../../types.js";
import { requestContext } from "../request-context.js";
import type { AuthState, SessionInfo, Strategy } from "./strategy.js";
import type { SignInGrant } from "../../core/sign-in.js";

/** What the bearer token of a request established. */
interface Identity {
  user: PublicUser | null;
  familyId?: string;
  auth?: AuthState;
}
const IDENTITY = Symbol("gatehouse.bearer");
type Marked = Request & { [IDENTITY]?: Identity };

export interface JwtStrategyDeps {
  /** Family handles in listings are keyed with the first secret. */
  secrets: string[];
  now: () => number;
  access: AccessTokens;
  refresh: RefreshTokens;
  store: RefreshStore;
  sessions: Sessions;
  serialize: (user: UserRecord) => PublicUser;
  /** The user's credential record: "revoke all", and settling a change an outage left in flight (a read that meets one settles it, then tries once more). */
  credentials: Credentials;
}

/**
 * Bearer tokens: short-lived access JWTs and rotating refresh tokens whose families live in
 * Redis next to the user's credential record. Each protected request verifies the JWT (CPU) and
 * reads its family with the record (one Redis round trip), so logout, revocation and password
 * changes end access tokens at once, and `req.user` is the record's copy of the user: a change
 * is seen by every access token on its next request.
 */
export class JwtStrategy implements Strategy {
  constructor(private readonly deps: JwtStrategyDeps) {}

  readonly load: RequestHandler = (req, _res, next) => {
    const marked = req as Marked;
    if (marked[IDENTITY]) return next();
    this.identify(req).then((identity) => {
      marked[IDENTITY] = identity;
      next();
    }, next);
  };

  private async identify(req: Request): Promise<Identity> {
    const header = req.headers.authorization;
    if (header === undefined) return { user: null };
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    if (!m) return { user: null };
    const now = this.deps.now();
    const claims = await this.deps.access.verify(m[1]!, now);
    if (!claims) return { user: null };
    // The family must still be alive, and of the record's epoch: logout, revocation and "revoke
    // all" end its access tokens at once.
    const read = await this.settled(claims.sub, async () => {
      const r = await this.deps.store.get(claims.sub, claims.sid, now);
      return r.status === "pending" ? { pending: claims.sub } : r;
    });
    const family = read.status === "live" ? read.family : null;
    const verdict = this.deps.sessions.validateFamily(family);
    if (verdict.status === "ended" || !family) return { user: null };
    // The family, read on every request anyway, holds the authentication time: POST /reauth
    // refreshes it without a new access token.
    return { user: verdict.user, familyId: claims.sid, auth: { authAt: family.authAt ?? family.createdAt, restricted: family.restricted !== undefined } };
  }

  /**
   * Runs `attempt`; when it meets a change stuck in flight, settles it and runs it once more. A
   * change still stuck then is an outage: 503, nobody let in.
   */
  private async settled<T>(userId: string, attempt: () => Promise<T | Pending>): Promise<T> {
    let r = await attempt();
    if (!isPending(r)) return r;
    await this.deps.credentials.settle(userId);
    r = await attempt();
    if (isPending(r)) throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
    return r;
  }

  current(req: Request): PublicUser | null {
    return (req as Marked)[IDENTITY]?.user ?? null;
  }

  currentId(req: Request): string | undefined {
    return (req as Marked)[IDENTITY]?.familyId;
  }

  /** Bearer tokens are not sent by browsers on their own: no cross-site forgery to stop. */
  readonly csrfErrors: readonly ErrorCode[] = [];
  checkCsrf(): void {}

  private async pair(user: UserRecord | PublicUser, family: RefreshFamily, refreshToken: string) {
    const authTime = Math.floor((family.authAt ?? family.createdAt) / 1000);
    const accessToken = await this.deps.access.sign({ sub: user.id, sid: family.id, auth_time: authTime }, this.deps.now());
    return { access_token: accessToken, refresh_token: refreshToken, token_type: "bearer", expires_in: this.deps.access.ttl };
  }

  async signIn(req: Request, user: UserRecord, grant?: SignInGrant) {
    const ctx = requestContext(req);
    const { family, token } = await this.settled(user.id, () => this.deps.refresh.start(user, ctx, grant));
    return this.pair(user, family, token);
  }

  authState(req: Request): AuthState | null {
    return (req as Marked)[IDENTITY]?.auth ?? null;
  }

  async markAuthenticated(req: Request, authAt: number): Promise<void> {
    const identity = (req as Marked)[IDENTITY];
    if (!identity?.user || !identity.familyId) return;
    await this.deps.store.authenticated(identity.user.id, identity.familyId, authAt);
    identity.auth = { authAt, restricted: false };
  }

  async refresh(req: Request, input: Record<string, unknown>) {
    const presented = input.refresh_token as string;
    const ctx = requestContext(req);
    // Pending is answered only for a token whose MAC checked out: its user id is ours.
    const { family, token } = await this.settled(this.deps.refresh.parse(presented)?.userId ?? "", () => this.deps.refresh.rotateOrThrow(presented, ctx));
    return this.pair(family.user, family, token);
  }

  /**
   * `POST /revoke` (RFC 7009): ends the family of a refresh token or of an access token. The hint
   * only orders the two lookups; a token that is neither, or no longer live, changes nothing.
   */
  async revoke(req: Request, token: string, hint: unknown): Promise<void> {
    const ctx = requestContext(req);
    const parsed = this.deps.refresh.parse(token);
    const asRefresh = () => (parsed ? this.settled(parsed.userId, () => this.deps.refresh.revoke(token, ctx)) : Promise.resolve(false));
    const asAccess = async () => {
      // Signature, issuer, audience, type and expiry are checked: a forged token ends nothing.
      const claims = await this.deps.access.verify(token, this.deps.now());
      return claims ? this.settled(claims.sub, () => this.deps.refresh.endFamily(claims.sub, claims.sid, ctx)) : false;
    };
    for (const attempt of hint === "access_token" ? [asAccess, asRefresh] : [asRefresh, asAccess]) {
      if (await attempt()) return;
    }
  }

  /** Ends the family of the presented access token, and of `refresh_token` if one of the same user is sent. */
  async signOut(req: Request): Promise<void> {
    const user = this.current(req)!;
    const familyId = this.currentId(req)!;
    await this.deps.store.delete(user.id, familyId);
    const sent = (req.body as { refresh_token?: unknown } | undefined)?.refresh_token;
    const parsed = typeof sent === "string" ? this.deps.refresh.parse(sent) : null;
    if (parsed && parsed.userId === user.id && parsed.familyId !== familyId) await this.deps.store.delete(user.id, parsed.familyId);
  }

  /** The old pair dies with every other family; a new family starts for this client. */
  async afterPasswordChange(req: Request, user: UserRecord) {
    const familyId = this.currentId(req);
    if (familyId) await this.deps.store.delete(user.id, familyId);
    return this.signIn(req, user);
  }

  kept(req: Request): KeptCredential | undefined {
    const familyId = this.currentId(req);
    return familyId ? { family: familyId } : undefined;
  }

  /** Ends every other family of the signed-in user in one step; resolves how many were live. */
  async revokeOthers(req: Request): Promise<number> {
    const user = this.current(req)!;
    const others = (await this.deps.store.list(user.id, this.deps.now())).filter((f) => f.id !== this.currentId(req)).length;
    // Nothing to end, nothing to write (a family begun meanwhile is a new sign-in, not one to end).
    if (others > 0) await this.deps.credentials.revokeAll(user.id, this.kept(req));
    return others;
  }

  private handle(familyId: string): string {
    return createHmac("sha256", this.deps.secrets[0]!).update(`family-handle:${familyId}`).digest("base64url").slice(0, 22);
  }

  async list(req: Request): Promise<SessionInfo[]> {
    const user = this.current(req)!;
    const families = await this.deps.store.list(user.id, this.deps.now());
    return families
      .map((f) => ({
        id: this.handle(f.id),
        createdAt: new Date(f.createdAt).toISOString(),
        lastSeenAt: new Date(f.seenAt).toISOString(),
        ip: f.ip ?? null,
        userAgent: f.userAgent ?? null,
        current: f.id === this.currentId(req),
      }))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async revokeOne(req: Request, _res: Response, handle: string): Promise<void> {
    const user = this.current(req)!;
    const families = await this.deps.store.list(user.id, this.deps.now());
    const family = families.find((f) => this.handle(f.id) === handle);
    if (!family) throw new AuthError("NOT_FOUND");
    await this.deps.store.delete(user.id, family.id);
  }

  /**
   * This request's identity takes the changed user. Every other access token reads the record's
   * copy on its next request (the change commits it there), so there is nothing to fan out.
   */
  async updateUser(req: Request, user: UserRecord): Promise<void> {
    const identity = (req as Marked)[IDENTITY];
    if (identity?.user && identity.user.id === user.id) identity.user = this.deps.serialize(user);
  }
}
