import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { AuthError } from "../errors.js";
import type { NewFamily, RefreshFamily, RefreshStore } from "../ports/refresh-store.js";
import type { PublicUser, RequestContext, UserRecord } from "../types.js";
import { admissionOf } from "./credentials.js";
import type { Events } from "./events.js";
import type { SignInGrant } from "./sign-in.js";

/** `<userId>.<familyId>.<n>.<mac>`: n a safe integer without leading zeros, the MAC 256 bits. */
const SHAPE = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,14})\.([A-Za-z0-9_-]{43})$/;

export interface RefreshTokensDeps {
  store: RefreshStore;
  events: Events;
  serialize: (user: UserRecord) => PublicUser;
  now: () => number;
  /** The app's secrets: the first one signs refresh tokens, all of them verify (rotation). */
  secrets: readonly string[];
  /** Family lifetime, seconds (absolute). */
  ttl: number;
  /** Grace window for a second use of a just-rotated token, seconds. */
  grace: number;
  /** Families a user may have at once; a new sign-in beyond ends the oldest. */
  maxFamilies: number;
}

/** A presented refresh token, once its MAC checked out. */
export interface ParsedRefreshToken {
  userId: string;
  familyId: string;
  n: number;
}

/** A change of the user's credentials is stuck in flight: settle it for `userId`, then try again. */
export interface Pending {
  pending: string;
}

/**
 * What happened to a presented refresh token: `invalid` (malformed, forged, unknown, ended),
 * `reuse` (a real but superseded token: its family has just ended) or `pending`.
 */
export type Refreshed = { ok: true; family: RefreshFamily; token: string } | { ok: false; reason: "invalid" | "reuse"; userId?: string } | ({ ok: false; reason: "pending" } & Pending);

/**
 * Refresh tokens: `<userId>.<familyId>.<n>.<mac>`, where `n` is the family's generation (one
 * more per rotation) and `mac` an HMAC-SHA256 of the three under the app's secret. The store
 * keeps only the family's current `n`: a token is checked by its MAC first, so a made-up one
 * (right shape, ids of a real family, wrong MAC) is refused without touching the family, and
 * only a token that was really issued can trigger reuse detection. Each use rotates to `n + 1`;
 * presenting an older generation ends the whole family (a thief and the user are both signed
 * out), except the one just rotated within the grace window, which gets the current token
 * again (two tabs refreshing at once): tokens are a function of their generation, so it is the
 * same successor.
 */
export class RefreshTokens {
  constructor(private readonly deps: RefreshTokensDeps) {}

  /** The ids and generation of a token of ours, or null (malformed, or a MAC no secret made). */
  parse(token: string): ParsedRefreshToken | null {
    const m = SHAPE.exec(token);
    if (!m) return null;
    const [, userId, familyId, n, mac] = m as unknown as [string, string, string, string, string];
    // The text is compared, not its decoding: one token has one spelling.
    const presented = Buffer.from(mac, "latin1");
    let valid = false;
    // Constant time, and every secret tried whatever matched: no timing tells which one signed.
    for (const secret of this.deps.secrets) valid = timingSafeEqual(presented, Buffer.from(sign(secret, userId, familyId, n), "latin1")) || valid;
    return valid ? { userId, familyId, n: Number(n) } : null;
  }

  private mint(userId: string, familyId: string, n: number): string {
    return `${userId}.${familyId}.${n}.${sign(this.deps.secrets[0]!, userId, familyId, String(n))}`;
  }

  /**
   * Begins a family for a sign-in that verified `user.passwordHash`, and returns its first token.
   * Compare-and-create: the family begins only while that hash is still the user's.
   *
   * @throws AuthError `INVALID_CREDENTIALS` when the password changed (or the user went) meanwhile.
   */
  async start(user: UserRecord, ctx: RequestContext, grant: SignInGrant = {}): Promise<{ family: RefreshFamily; token: string } | Pending> {
    const now = this.deps.now();
    const family: NewFamily = {
      id: randomBytes(16).toString("base64url"),
      userId: user.id,
      createdAt: now,
      expiresAt: now + this.deps.ttl * 1000,
      seenAt: now,
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 256),
      authAt: now,
      ...(grant.restricted ? { restricted: grant.restricted } : {}),
    };
    const r = await this.deps.store.create(family, admissionOf(user, this.deps.serialize), this.deps.maxFamilies);
    if (r.status === "pending") return { pending: user.id };
    // The password this sign-in verified is no longer the user's: it must not begin anything.
    if (r.status === "refused") throw new AuthError("INVALID_CREDENTIALS");
    return { family: r.family, token: this.mint(user.id, r.family.id, r.family.n) };
  }

  /** Rotates a presented token. */
  async rotate(token: string): Promise<Refreshed> {
    const parsed = this.parse(token);
    if (!parsed) return { ok: false, reason: "invalid" };
    const { userId, familyId, n } = parsed;
    const result = await this.deps.store.rotate(userId, familyId, n, this.deps.now(), this.deps.grace * 1000);
    switch (result.status) {
      case "rotated":
      case "grace":
        return { ok: true, family: result.family, token: this.mint(userId, familyId, result.family.n) };
      case "reuse":
        return { ok: false, reason: "reuse", userId };
      case "pending":
        return { ok: false, reason: "pending", pending: userId };
      default:
        return { ok: false, reason: "invalid" };
    }
  }

  /**
   * RFC 7009 revocation of a refresh token: ends its family. Only a token that was really issued
   * does: it is presented like a rotation (which a made-up token never reaches), and the family
   * it belongs to is then deleted. Resolves whether a live family ended; a dead or made-up
   * token changes nothing.
   */
  async revoke(token: string, ctx: RequestContext): Promise<boolean | Pending> {
    const r = await this.rotate(token);
    if (r.ok) return this.endFamily(r.family.userId, r.family.id, ctx);
    if (r.reason === "pending") return r;
    // A replay: the store has just ended the family, as on POST /refresh.
    if (r.reason === "reuse" && r.userId) this.deps.events.emit("onRefreshReuse", ctx, { userId: r.userId });
    return r.reason === "reuse";
  }

  /** Ends one family (an access token's, on revocation) and reports it as a sign-out. */
  async endFamily(userId: string, familyId: string, ctx: RequestContext): Promise<boolean | Pending> {
    const read = await this.deps.store.get(userId, familyId, this.deps.now());
    if (read.status === "pending") return { pending: userId };
    if (read.status !== "live") return false;
    if (!(await this.deps.store.delete(userId, familyId))) return false;
    this.deps.events.emit("onLogout", ctx, { user: read.family.user });
    return true;
  }

  /** Like `rotate`, but failures are `INVALID_REFRESH_TOKEN`; a replay that ended a family is reported. */
  async rotateOrThrow(token: string, ctx: RequestContext): Promise<{ family: RefreshFamily; token: string } | Pending> {
    const r = await this.rotate(token);
    if (r.ok) return r;
    if (r.reason === "pending") return r;
    if (r.reason === "reuse" && r.userId) this.deps.events.emit("onRefreshReuse", ctx, { userId: r.userId });
    throw new AuthError("INVALID_REFRESH_TOKEN");
  }
}

/** Whether a result asks for a stuck change to be settled first. */
export function isPending(r: unknown): r is Pending {
  return typeof r === "object" && r !== null && typeof (r as Partial<Pending>).pending === "string";
}

/** The MAC of a refresh token: domain-separated, so no other HMAC of the secret can pass for one. */
function sign(secret: string, userId: string, familyId: string, n: string): string {
  return createHmac("sha256", secret).update(`gatehouse/refresh-token\u0000${userId}\u0000${familyId}\u0000${n}`).digest("base64url");
}
