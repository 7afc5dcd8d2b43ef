import { randomBytes } from "node:crypto";
/**
 * Hashing and verification with the configured hasher, behind the concurrency limiter.
 * Passwords are NFKC-normalized before hashing (NIST 800-63B), never truncated or case-folded.
 */
export class Passwords {
    primary;
    others;
    limiter;
    dummy;
    constructor(primary, others, limiter) {
        this.primary = primary;
        this.others = others;
        this.limiter = limiter;
    }
    hash(password) {
        return this.limiter.run(() => this.primary.hash(password.normalize("NFKC")));
    }
    async verify(hash, password) {
        const input = password.normalize("NFKC");
        const hasher = [this.primary, ...this.others].find((h) => h.recognizes(hash));
        if (!hasher) {
            // Unknown format: still spend one verification so the answer takes the usual time.
            await this.verifyDummy(password);
            return { ok: false, upgradedHash: undefined };
        }
        const ok = await this.limiter.run(() => hasher.verify(hash, input));
        if (!ok)
            return { ok, upgradedHash: undefined };
        const stale = hasher !== this.primary || this.primary.needsRehash(hash);
        return { ok, upgradedHash: stale ? await this.hash(password) : undefined };
    }
    /**
     * One verification against a hash nobody's password matches: for unknown accounts, so that
     * "no such user" costs the same time as "wrong password" and login timing does not reveal
     * which emails exist.
     */
    async verifyDummy(password) {
        const dummy = await this.dummyHash();
        await this.limiter.run(() => this.primary.verify(dummy, password.normalize("NFKC")));
    }
    /** Computes the dummy hash ahead of the first unknown-email login. */
    async warmUp() {
        await this.dummyHash();
    }
    dummyHash() {
        this.dummy ??= this.hash(randomBytes(24).toString("base64url")).catch((err) => {
            this.dummy = undefined;
            throw err;
        });
        return this.dummy;
    }
}
