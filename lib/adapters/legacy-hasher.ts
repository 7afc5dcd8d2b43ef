import type { PasswordHasher } from "../ports/password-hasher.js";

/**
 * The shape every verify-only hasher of an imported format shares: it recognizes and checks its
 * hashes, never makes new ones, and always asks for a rehash, so a user's first successful
 * sign-in replaces the old hash with the primary hasher's (argon2id).
 */
export abstract class LegacyHasher implements PasswordHasher {
  abstract readonly name: string;
  abstract recognizes(hash: string): boolean;
  protected abstract check(hash: string, password: string): Promise<boolean>;

  /** Verify-only: new hashes come from the primary hasher. Rejects with an `Error`. */
  async hash(): Promise<string> {
    throw new Error(`${this.name}: verifies imported hashes only; new hashes come from the primary hasher`);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    if (!this.recognizes(hash)) return false;
    try {
      return await this.check(hash, password);
    } catch {
      // A malformed hash (bad base64, impossible parameters) matches no password.
      return false;
    }
  }

  needsRehash(hash: string): boolean {
    return this.recognizes(hash);
  }
}
