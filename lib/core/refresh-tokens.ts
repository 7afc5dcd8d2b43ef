import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { AuthError } from "../errors.js";
import type { RefreshFamily, RefreshStore } from "../ports/refresh-store.js";
import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, RequestContext, UserRecord } from "../types.js";
import { passwordFingerprint, sha256 } from "./email-tokens.js";
import type { Events } from "./events.js";
import type { SignInGrant } from "./sign-in.js";

const SHAPE = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export interface RefreshTokensDeps {
  store: RefreshStore;
  users: UserStore;
  events: Events;
  serialize: (user: UserRecord) => PublicUser;
  now: () => number;
  /** Family lifetime, seconds (absolute). */
  ttl: number;
  /** Grace window for a second use of a just-rotated token, seconds. */
  grace: number;
}

/** What happened to a presented refresh token. */
export type Refreshed = { ok: true; family: RefreshFamily; token: string } | { ok: false; reuse: boolean; userId?: string };

/**
 * Refresh tokens: `<userId>.<familyId>.<256 random bits>`, opaque, stored as SHA-256 only. Each
 * use rotates the token (the old one is dead); a replayed token ends its whole family, so a thief
 * and the user are both signed out. A second use of the token just rotated, within the grace
 * window, gets the same successor (two tabs refreshing at once): the successor is kept sealed
 * with a key derived from the old token, so only its holder can open it.
 */
export class RefreshTokens {
  constructor(private readonly deps: RefreshTokensDeps) {}

  parse(token: string): { userId: string; familyId: string; hash: string } | null {
    const m = SHAPE.exec(token);
    return m ? { userId: m[1]!, familyId: m[2]!, hash: sha256(token) } : null;
  }

  /** Starts a family for a new sign-in and returns its first token. */
  async start(user: UserRecord, ctx: RequestContext, grant: SignInGrant = {}): Promise<{ family: RefreshFamily; token: string }> {
    const now = this.deps.now();
    const family: RefreshFamily = {
      id: randomBytes(16).toString("base64url"),
      userId: user.id,
      createdAt: now,
      expiresAt: now + this.deps.ttl * 1000,
      seenAt: now,
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 256),
      user: this.deps.serialize(user),
      pwd: passwordFingerprint(user.passwordHash),
      authAt: now,
      ...(grant.restricted ? { restricted: grant.restricted } : {}),
    };
    const token = mint(user.id, family.id);
    await this.deps.store.create(family, sha256(token));
    return { family, token };
  }

  /** Rotates a presented token. */
  async rotate(token: string): Promise<Refreshed> {
    const parsed = this.parse(token);
    if (!parsed) return { ok: false, reuse: false };
    const user = await this.deps.users.findById(parsed.userId);
    if (!user) {
      await this.deps.store.delete(parsed.userId, parsed.familyId);
      return { ok: false, reuse: false };
    }
    const next = mint(parsed.userId, parsed.familyId);
    const result = await this.deps.store.rotate(
      parsed.userId,
      parsed.familyId,
      parsed.hash,
      // A family begun under an older password (one that slipped past "revoke all" during a reset) ends here.
      { hash: sha256(next), sealed: seal(token, next), user: this.deps.serialize(user), pwd: passwordFingerprint(user.passwordHash) },
      this.deps.now(),
      this.deps.grace * 1000,
    );
    switch (result.status) {
      case "rotated":
        return { ok: true, family: result.family, token: next };
      case "grace": {
        const successor = unseal(token, result.sealedNext);
        return successor ? { ok: true, family: result.family, token: successor } : { ok: false, reuse: false };
      }
      case "reuse":
        return { ok: false, reuse: true, userId: parsed.userId };
      default:
        return { ok: false, reuse: false };
    }
  }

  /**
   * RFC 7009 revocation of a refresh token: ends its family. Only a token that was really issued
   * does: it is presented to the store like a rotation (one atomic step that also tells a made-up
   * token from a real one), and the family it belongs to is then deleted. Resolves whether a
   * live family ended; a dead or made-up token changes nothing.
   */
  async revoke(token: string, ctx: RequestContext): Promise<boolean> {
    const r = await this.rotate(token);
    if (r.ok) return this.endFamily(r.family.userId, r.family.id, ctx);
    // A replay: the store has just ended the family, as on POST /refresh.
    if (r.reuse && r.userId) this.deps.events.emit("onRefreshReuse", ctx, { userId: r.userId });
    return r.reuse;
  }

  /** Ends one family (an access token's, on revocation) and reports it as a sign-out. */
  async endFamily(userId: string, familyId: string, ctx: RequestContext): Promise<boolean> {
    const family = await this.deps.store.get(userId, familyId, this.deps.now());
    if (!family) return false;
    if (!(await this.deps.store.delete(userId, familyId))) return false;
    this.deps.events.emit("onLogout", ctx, { user: family.user });
    return true;
  }

  /** Like `rotate`, but failures are `INVALID_REFRESH_TOKEN`; a replay that ended a family is reported. */
  async rotateOrThrow(token: string, ctx: RequestContext): Promise<{ family: RefreshFamily; token: string }> {
    const r = await this.rotate(token);
    if (r.ok) return r;
    if (r.reuse && r.userId) this.deps.events.emit("onRefreshReuse", ctx, { userId: r.userId });
    throw new AuthError("INVALID_REFRESH_TOKEN");
  }
}

function mint(userId: string, familyId: string): string {
  return `${userId}.${familyId}.${randomBytes(32).toString("base64url")}`;
}

function sealKey(oldToken: string): Buffer {
  return createHash("sha256").update(`gatehouse/refresh-seal:${oldToken}`).digest();
}

/** Encrypts the successor so that only a holder of the old token can read it (AES-256-GCM). */
function seal(oldToken: string, successor: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealKey(oldToken), iv);
  const body = Buffer.concat([cipher.update(successor, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

function unseal(oldToken: string, sealed: string): string | null {
  try {
    const raw = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", sealKey(oldToken), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
