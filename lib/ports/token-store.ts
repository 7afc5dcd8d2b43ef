/** What a single-use token is for. */
export type TokenPurpose = "verify-email" | "reset-password" | "change-email";

/**
 * A single-use token as stored: never the token itself, only its SHA-256. A user has at most one
 * live token per purpose: issuing a new one replaces (kills) the older one.
 */
export interface TokenRecord {
  purpose: TokenPurpose;
  userId: string;
  /** base64url SHA-256 of the token. */
  hash: string;
  /** The address the token was issued for (the email to verify, or the new email). */
  target: string;
  /** A fingerprint of the password hash at issue time (reset tokens die when the password changes). */
  fingerprint: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Where single-use tokens live. Run `tokenStoreConformance` from `express-gatehouse/testing` on your
 * implementation. Consumption is atomic: of many concurrent `consume` calls with one token,
 * exactly one gets the record.
 */
export interface TokenStore {
  /** Makes `record` the user's one live token for its purpose (replacing any other); kept `ttlSeconds`. */
  put(record: TokenRecord, ttlSeconds: number): Promise<void>;
  /** The live token of this user and purpose if its hash matches and it has not expired at `now`; not consumed. */
  find(userId: string, purpose: TokenPurpose, hash: string, now: number): Promise<TokenRecord | null>;
  /** Like `find`, but atomically removes the token: a token is consumed at most once. */
  consume(userId: string, purpose: TokenPurpose, hash: string, now: number): Promise<TokenRecord | null>;
  /** Kills the user's live token of each given purpose. */
  revoke(userId: string, purposes: readonly TokenPurpose[]): Promise<void>;
}
