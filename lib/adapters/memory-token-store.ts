import type { TokenPurpose, TokenRecord, TokenStore } from "../ports/token-store.js";

/**
 * Single-use tokens in this process's memory (dev and tests): nothing is shared between
 * processes and a restart forgets every pending link.
 *
 * @example
 * ```ts
 * tokenStoreConformance("MemoryTokenStore", () => new MemoryTokenStore());
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();

  private key(userId: string, purpose: TokenPurpose): string {
    return `${userId}\u0000${purpose}`;
  }

  async put(record: TokenRecord): Promise<void> {
    this.tokens.set(this.key(record.userId, record.purpose), { ...record });
  }

  async find(userId: string, purpose: TokenPurpose, hash: string, now: number): Promise<TokenRecord | null> {
    return this.live(userId, purpose, hash, now);
  }

  async consume(userId: string, purpose: TokenPurpose, hash: string, now: number): Promise<TokenRecord | null> {
    // Check and delete in one synchronous step: atomic within this process.
    const found = this.live(userId, purpose, hash, now);
    if (found) this.tokens.delete(this.key(userId, purpose));
    return found;
  }

  private live(userId: string, purpose: TokenPurpose, hash: string, now: number): TokenRecord | null {
    const record = this.tokens.get(this.key(userId, purpose));
    return record && record.hash === hash && record.expiresAt >= now ? { ...record } : null;
  }

  async revoke(userId: string, purposes: readonly TokenPurpose[]): Promise<void> {
    for (const p of purposes) this.tokens.delete(this.key(userId, p));
  }
}
