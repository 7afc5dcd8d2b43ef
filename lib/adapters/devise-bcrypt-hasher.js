import bcrypt from "bcrypt";
import { LegacyHasher } from "./legacy-hasher.js";
/**
 * Verifies passwords against the `encrypted_password` of a Rails app on Devise: bcrypt
 * (`$2a$<stretches>$...`) of `password + pepper`, the way `Devise::Encryptor` computes it (bcrypt
 * reads the first 72 bytes, as Ruby's did). Users imported from Devise sign in with their
 * password; the first success rehashes to argon2id. Verify only.
 *
 * Listed in `hashing.legacy`, it claims every bcrypt hash (its format is plain bcrypt), so give
 * it only when the imported bcrypt hashes are Devise's.
 *
 * @example
 * ```ts
 * authRouter({ ..., hashing: { legacy: [deviseBcrypt({ pepper: process.env.DEVISE_PEPPER! })] } });
 * ```
 */
export class DeviseBcryptHasher extends LegacyHasher {
    name = "devise-bcrypt";
    pepper;
    constructor(options) {
        super();
        if (typeof options?.pepper !== "string")
            throw new TypeError('DeviseBcryptHasher: pepper must be a string (use "" when Devise had none)');
        this.pepper = options.pepper;
    }
    recognizes(hash) {
        return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash);
    }
    check(hash, password) {
        // $2y$ (PHP) and $2a$ are the same algorithm as $2b$; the bcrypt package reads only $2a$/$2b$.
        return bcrypt.compare(password + this.pepper, hash.replace(/^\$2y\$/, "$2b$"));
    }
}
/** A {@link DeviseBcryptHasher}, for `hashing.legacy`. */
export function deviseBcrypt(options) {
    return new DeviseBcryptHasher(options);
}
