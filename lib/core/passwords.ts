import { randomBytes } from "node:crypto";
import type { PasswordHasher } from "../ports/password-hasher.js";
import type { HashingQueue } from "./hashing-queue.js";

/** The outcome of checking a password against a stored hash. */
export interface PasswordCheck {
  ok: boolean;
  /** A fresh hash to store when the old one used weaker parameters or another scheme. */
  upgradedHash: string | undefined;
}

/**
 * Hashing and verification with the configured hasher, behind the concurrency limiter.
 * Passwords are NFKC-normalized before hashing (NIST 800-63B), never truncated or case-folded.
 */
export class Passwords {
  private dummy: Promise<string> | undefined;

  constructor(
    private readonly primary: PasswordHasher,
    private readonly others: readonly PasswordHasher[],
    private readonly limiter: HashingQueue,
  ) {}

  hash(password: string): Promise<string> {
    return this.limiter.run(() => this.primary.hash(password.normalize("NFKC")));
  }

  async verify(hash: string, password: string): Promise<PasswordCheck> {
    const input = password.normalize("NFKC");
    const hasher = [this.primary, ...this.others].find((h) => h.recognizes(hash));
    if (!hasher) {
      // Unknown format: still spend one verification so the answer takes the usual time.
      await this.verifyDummy(password);
      return { ok: false, upgradedHash: undefined };
    }
    const ok = await this.limiter.run(() => hasher.verify(hash, input));
    if (!ok) return { ok, upgradedHash: undefined };
    const stale = hasher !== this.primary || this.primary.needsRehash(hash);
    return { ok, upgradedHash: stale ? await this.hash(password) : undefined };
  }

  /**
   * One verification against a hash nobody's password matches: for unknown accounts, so that
   * "no such user" costs the same time as "wrong password" and login timing does not reveal
   * which emails exist.
   */
  async verifyDummy(password: string): Promise<void> {
    const dummy = await this.dummyHash();
    await this.limiter.run(() => this.primary.verify(dummy, password.normalize("NFKC")));
  }

  /** Computes the dummy hash ahead of the first unknown-email login. */
  async warmUp(): Promise<void> {
    await this.dummyHash();
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(24).toString("base64url")).catch((err: unknown) => {
      this.dummy = undefined;
      throw err;
    });
    return this.dummy;
  }
}
