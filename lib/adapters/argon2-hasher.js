import { createRequire } from "node:module";
import { yieldBackgroundThreads } from "./thread-priority.js";
let loaded;
/**
 * Loads the optional `argon2` package (a native module whose install can fail). Resolves
 * `null` when it cannot be loaded, so callers can fall back to {@link BcryptHasher}.
 */
export function loadArgon2() {
    if (loaded === undefined) {
        try {
            // argon2 is CommonJS; require() keeps the load synchronous and catchable.
            loaded = createRequire(import.meta.url)("argon2");
        }
        catch {
            loaded = null;
        }
    }
    return loaded;
}
/**
 * Hashes passwords with argon2id into PHC strings (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
 *
 * @param options - The cost parameters; a `TypeError` when out of range.
 * @param argon2 - The loaded `argon2` package. @default the result of {@link loadArgon2}; an
 *   `Error` is thrown when it cannot be loaded.
 */
export class Argon2Hasher {
    name = "argon2id";
    argon2;
    params;
    constructor(options = {}, argon2 = loadArgon2()) {
        const { memoryCost = 19456, timeCost = 2, parallelism = 1 } = options;
        if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 255) {
            throw new TypeError("Argon2Hasher: parallelism must be an integer from 1 to 255");
        }
        if (!Number.isInteger(timeCost) || timeCost < 1) {
            throw new TypeError("Argon2Hasher: timeCost must be a positive integer");
        }
        if (!Number.isInteger(memoryCost) || memoryCost < 8 * parallelism || memoryCost > 2 ** 32 - 1) {
            throw new TypeError("Argon2Hasher: memoryCost must be an integer number of KiB, at least 8 * parallelism");
        }
        if (argon2 === null) {
            throw new Error("Argon2Hasher: the optional package 'argon2' could not be loaded; install it or use BcryptHasher");
        }
        this.argon2 = argon2;
        this.params = { memoryCost, timeCost, parallelism };
    }
    async hash(password) {
        const hash = await this.argon2.hash(password, { type: this.argon2.argon2id, ...this.params });
        yieldBackgroundThreads();
        // argon2 0.45 writes the parameters as `m=,p=,t=`; the reference encoding (libargon2, which
        // PHP, Python's argon2-cffi and others use to verify) accepts only `m=,t=,p=`. Reordering
        // keeps the hashes portable; argon2 itself reads the parameters by name either way.
        return hash.replace(/^(\$argon2id\$v=\d+\$)m=(\d+),p=(\d+),t=(\d+)\$/, "$1m=$2,t=$4,p=$3$$");
    }
    async verify(hash, password) {
        if (!this.recognizes(hash))
            return false;
        try {
            const ok = await this.argon2.verify(hash, password);
            yieldBackgroundThreads();
            return ok;
        }
        catch {
            return false;
        }
    }
    recognizes(hash) {
        return hash.startsWith("$argon2");
    }
    needsRehash(hash) {
        if (!this.recognizes(hash))
            return false;
        // argon2i and argon2d hashes still verify, but new hashes are argon2id.
        if (!hash.startsWith("$argon2id$"))
            return true;
        try {
            return this.argon2.needsRehash(hash, this.params);
        }
        catch {
            return true;
        }
    }
}
