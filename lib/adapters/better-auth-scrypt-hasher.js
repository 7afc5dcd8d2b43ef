import { scrypt, timingSafeEqual } from "node:crypto";
import { LegacyHasher } from "./legacy-hasher.js";
/** better-auth's scrypt parameters (`packages/better-auth/src/crypto/password.ts`). */
const N = 16384;
const R = 16;
const P = 1;
const KEY_LENGTH = 64;
/**
 * Verifies passwords against better-auth's default hashes, `<salt>:<key>`: 16 random bytes as 32
 * hex characters (used as the salt *as text*), and the 64-byte scrypt key (N=16384, r=16, p=1)
 * of the NFKC-normalized password as 128 hex characters. Users imported from better-auth sign in
 * with their password; the first success rehashes to argon2id. Verify only.
 *
 * @example
 * ```ts
 * authRouter({ ..., hashing: { legacy: [betterAuthScrypt()] } });
 * ```
 */
export class BetterAuthScryptHasher extends LegacyHasher {
    name = "better-auth-scrypt";
    recognizes(hash) {
        return /^[0-9a-f]{32}:[0-9a-f]{128}$/i.test(hash);
    }
    async check(hash, password) {
        const [salt, key] = hash.split(":");
        const expected = Buffer.from(key, "hex");
        const actual = await new Promise((resolve, reject) => 
        // scrypt needs 128 * N * r bytes (32 MiB here): above Node's default maxmem, as in better-auth.
        scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { N, r: R, p: P, maxmem: 128 * N * R * 2 }, (err, derived) => err ? reject(err) : resolve(derived)));
        // Constant time: the comparison must not tell how many leading bytes matched.
        return timingSafeEqual(actual, expected);
    }
}
/** A {@link BetterAuthScryptHasher}, for `hashing.legacy`. */
export function betterAuthScrypt() {
    return new BetterAuthScryptHasher();
}
