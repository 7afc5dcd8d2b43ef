/**
 * The shape every verify-only hasher of an imported format shares: it recognizes and checks its
 * hashes, never makes new ones, and always asks for a rehash, so a user's first successful
 * sign-in replaces the old hash with the primary hasher's (argon2id).
 */
export class LegacyHasher {
    /** Verify-only: new hashes come from the primary hasher. Rejects with an `Error`. */
    async hash() {
        throw new Error(`${this.name}: verifies imported hashes only; new hashes come from the primary hasher`);
    }
    async verify(hash, password) {
        if (!this.recognizes(hash))
            return false;
        try {
            return await this.check(hash, password);
        }
        catch {
            // A malformed hash (bad base64, impossible parameters) matches no password.
            return false;
        }
    }
    needsRehash(hash) {
        return this.recognizes(hash);
    }
}
