/**
 * Single-use tokens in this process's memory (dev and tests): nothing is shared between
 * processes and a restart forgets every pending link.
 *
 * @example
 * ```ts
 * tokenStoreConformance("MemoryTokenStore", () => new MemoryTokenStore());
 * ```
 */
export class MemoryTokenStore {
    tokens = new Map();
    key(userId, purpose) {
        return `${userId}\u0000${purpose}`;
    }
    async put(record) {
        this.tokens.set(this.key(record.userId, record.purpose), { ...record });
    }
    async find(userId, purpose, hash, now) {
        return this.live(userId, purpose, hash, now);
    }
    async consume(userId, purpose, hash, now) {
        // Check and delete in one synchronous step: atomic within this process.
        const found = this.live(userId, purpose, hash, now);
        if (found)
            this.tokens.delete(this.key(userId, purpose));
        return found;
    }
    live(userId, purpose, hash, now) {
        const record = this.tokens.get(this.key(userId, purpose));
        return record && record.hash === hash && record.expiresAt >= now ? { ...record } : null;
    }
    async revoke(userId, purposes) {
        for (const p of purposes)
            this.tokens.delete(this.key(userId, p));
    }
}
