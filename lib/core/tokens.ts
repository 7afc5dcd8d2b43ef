import { createHash, randomBytes } from "node:crypto";
import type { TokenPurpose, TokenStore } from "../ports/token-store.js";
import type { UserRecord } from "../types.js";

/** A token as handed to a user, and the hash that is stored in its place. */
export interface IssuedToken {
  token: string;
  hash: string;
}

const TOKEN_SHAPE = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$/;

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}

/**
 * A new single-use token: `<userId>.<256 random bits, base64url>`. The user id in front lets the
 * store keep the token in the user's own slot (one key per user and purpose, so issuing a new
 * token replaces the old one, and consumption is a single-key atomic operation). Only the
 * SHA-256 of the whole token is stored.
 */
export function newToken(userId: string): IssuedToken {
  const token = `${userId}.${randomBytes(32).toString("base64url")}`;
  return { token, hash: sha256(token) };
}

/** The user id and stored hash of a token, or null when it is not of our shape (no store lookup needed). */
export function parseToken(token: string): { userId: string; hash: string } | null {
  const m = TOKEN_SHAPE.exec(token);
  return m ? { userId: m[1]!, hash: sha256(token) } : null;
}

/** A fingerprint of a password hash: a reset token carries it and dies when the password changes. */
export function passwordFingerprint(passwordHash: string): string {
  return sha256(`password:${passwordHash}`).slice(0, 22);
}

/**
 * Issues the user's one live token for `purpose` (an older one of that purpose dies), bound to
 * `target` and to the current password, valid `ttl` seconds from `now`. Returns the token to mail.
 */
export async function issueToken(tokens: TokenStore, user: UserRecord, purpose: TokenPurpose, target: string, ttl: number, now: number): Promise<string> {
  const { token, hash } = newToken(user.id);
  await tokens.put({ purpose, userId: user.id, hash, target, fingerprint: passwordFingerprint(user.passwordHash), expiresAt: now + ttl * 1000 }, ttl);
  return token;
}
