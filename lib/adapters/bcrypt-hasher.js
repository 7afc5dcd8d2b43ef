import { createHmac } from "node:crypto";
import bcrypt from "bcrypt";
/** bcrypt reads at most this many bytes of its input and ignores the rest. */
const BCRYPT_MAX_BYTES = 72;
const PREHASH_KEY = "gatehouse/bcrypt-prehash/v1";
/**
 * Hashes passwords with bcrypt (`$2b$<cost>$...`), the fallback when argon2 cannot load and the
 * way to check bcrypt hashes imported from another system.
 *
 * bcrypt ignores every byte after the 72nd, so two long passwords sharing their first 72 bytes
 * would match each other. A password longer than 72 UTF-8 bytes is therefore pre-hashed to
 * `base64(HMAC-SHA-384(key = "gatehouse/bcrypt-prehash/v1", password))` (64 characters, the form
 * OWASP recommends) and that is what bcrypt sees; shorter passwords go in unchanged, so bcrypt
 * hashes of ordinary passwords made elsewhere keep verifying.
 */
export class BcryptHasher {
    name = "bcrypt";
    cost;
    constructor(options = {}) {
        const { cost = 12 } = options;
        if (!Number.isInteger(cost) || cost < 10 || cost > 31) {
            throw new TypeError("BcryptHasher: cost must be an integer from 10 to 31");
        }
        this.cost = cost;
    }
    hash(password) {
        return bcrypt.hash(bcryptInput(password), this.cost);
    }
    async verify(hash, password) {
        if (!this.recognizes(hash))
            return false;
        try {
            // $2y$ (PHP's marker) is the same algorithm as $2b$, but the bcrypt package refuses it.
            return await bcrypt.compare(bcryptInput(password), hash.replace(/^\$2y\$/, "$2b$"));
        }
        catch {
            return false;
        }
    }
    recognizes(hash) {
        return /^\$2[aby]\$\d\d\$/.test(hash);
    }
    needsRehash(hash) {
        return this.recognizes(hash) && Number(hash.slice(4, 6)) < this.cost;
    }
}
function bcryptInput(password) {
    // Never let bcrypt truncate silently: past 72 bytes, feed it a fixed-length digest of the
    // whole password instead. The HMAC key only separates this use of SHA-384 from others; the
    // base64 digest has no NUL bytes, which some bcrypt implementations stop at.
    if (Buffer.byteLength(password, "utf8") <= BCRYPT_MAX_BYTES)
        return password;
    return createHmac("sha384", PREHASH_KEY).update(password, "utf8").digest("base64");
}
