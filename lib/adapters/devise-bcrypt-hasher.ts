import bcrypt from "bcrypt";
import { LegacyHasher } from "./legacy-hasher.js";

/** Options of {@link DeviseBcryptHasher}. */
export interface DeviseBcryptHasherOptions {
  /** `config.pepper` of the Devise app (from `config/initializers/devise.rb`); `""` when it had none. */
  pepper: string;
}

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
  readonly name = "devise-bcrypt";
  private readonly pepper: string;

  constructor(options: DeviseBcryptHasherOptions) {
    super();
    if (typeof options?.pepper !== "string") throw new TypeError('DeviseBcryptHasher: pepper must be a string (use "" when Devise had none)');
    this.pepper = options.pepper;
  }

  recognizes(hash: string): boolean {
    return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash);
  }

  protected check(hash: string, password: string): Promise<boolean> {
    // $2y$ (PHP) and $2a$ are the same algorithm as $2b$; the bcrypt package reads only $2a$/$2b$.
    return bcrypt.compare(password + this.pepper, hash.replace(/^\$2y\$/, "$2b$"));
  }
}

/** A {@link DeviseBcryptHasher}, for `hashing.legacy`. */
export function deviseBcrypt(options: DeviseBcryptHasherOptions): DeviseBcryptHasher {
  return new DeviseBcryptHasher(options);
}
