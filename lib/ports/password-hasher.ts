/**
 * A password hashing scheme. Gatehouse ships `Argon2Hasher` (the default) and `BcryptHasher`
 * (the fallback when argon2 cannot load).
 */
export interface PasswordHasher {
  /** A short name for logs, e.g. `"argon2id"` or `"bcrypt"`. */
  readonly name: string;
  /** Hashes a password with a fresh salt. */
  hash(password: string): Promise<string>;
  /** True when `password` matches `hash`. Resolves `false` (never rejects) for a malformed hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when this hasher produced (or can check) hashes of this format. */
  recognizes(hash: string): boolean;
  /** True when `hash` is in this hasher's format but made with weaker or other parameters. */
  needsRehash(hash: string): boolean;
}
