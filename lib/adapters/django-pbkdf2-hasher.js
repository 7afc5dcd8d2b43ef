import { pbkdf2, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { LegacyHasher } from "./legacy-hasher.js";
const pbkdf2Async = promisify(pbkdf2);
/** Far above Django's own counts (1,000,000 in 5.x); a bound so a crafted row cannot stall a login. */
const MAX_ITERATIONS = 20_000_000;
/**
 * Verifies passwords against Django's PBKDF2 hashes, `pbkdf2_sha256$<iterations>$<salt>$<base64>`
 * (and the older `pbkdf2_sha1$...`), so users imported from Django sign in with the password
 * they had; the first success rehashes to argon2id. Verify only.
 *
 * Django hashes the password as typed (UTF-8, no normalization); Gatehouse checks the NFKC form,
 * so the rare password that NFKC changes (full-width letters, ligatures) needs a reset.
 *
 * @example
 * ```ts
 * authRouter({ ..., hashing: { legacy: [djangoPbkdf2()] } });
 * ```
 */
export class DjangoPbkdf2Hasher extends LegacyHasher {
    name = "django-pbkdf2";
    recognizes(hash) {
        return /^pbkdf2_sha(256|1)\$\d{1,9}\$[^$]+\$[A-Za-z0-9+/]+={0,2}$/.test(hash);
    }
    async check(hash, password) {
        const [algorithm, rounds, salt, encoded] = hash.split("$");
        const iterations = Number(rounds);
        if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS)
            return false;
        const expected = Buffer.from(encoded, "base64");
        if (expected.length === 0)
            return false;
        const digest = algorithm === "pbkdf2_sha256" ? "sha256" : "sha1";
        const actual = await pbkdf2Async(Buffer.from(password, "utf8"), Buffer.from(salt, "utf8"), iterations, expected.length, digest);
        // Constant time: the comparison must not tell how many leading bytes matched.
        return timingSafeEqual(actual, expected);
    }
}
/** A {@link DjangoPbkdf2Hasher}, for `hashing.legacy`. */
export function djangoPbkdf2() {
    return new DjangoPbkdf2Hasher();
}
