import { AuthError } from "../errors.js";
import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, UserRecord } from "../types.js";
import { normalizeEmail } from "./emails.js";
import { checkPassword, type PasswordPolicy } from "./policy.js";
import type { Passwords } from "./passwords.js";
import type { Limits } from "./limits.js";

/** What accounts need from the rest of the library. */
export interface AccountsDeps {
  users: UserStore;
  passwords: Passwords;
  policy: PasswordPolicy;
  now: () => number;
  /** Rate limits and lockout; absent when switched off. */
  limits: Limits | undefined;
}

/** Registration and sign-in: the rules, free of any framework. */
export class Accounts {
  constructor(private readonly deps: AccountsDeps) {}

  /** Creates an account; `EMAIL_ALREADY_REGISTERED` when the address is taken. */
  async register(input: { email: string; password: string; name: string | null }, ip: string | undefined): Promise<UserRecord> {
    await this.deps.limits?.beforeRegister(ip);
    const errors = checkPassword(input.password, this.deps.policy);
    if (errors.length) throw new AuthError("VALIDATION_FAILED", { errors });
    const passwordHash = await this.deps.passwords.hash(input.password);
    const user = await this.deps.users.create({
      email: normalizeEmail(input.email),
      name: input.name,
      passwordHash,
      emailVerified: false,
      createdAt: this.deps.now(),
    });
    if (!user) throw new AuthError("EMAIL_ALREADY_REGISTERED");
    return user;
  }

  /**
   * The user these credentials belong to, or `INVALID_CREDENTIALS` (one answer for an unknown
   * email and a wrong password). Exactly one hash verification runs in every case. While the
   * account is locked for this client, `TOO_MANY_REQUESTS` whatever the password; the counters
   * are keyed by the normalized email whether or not an account has it.
   */
  async authenticate(email: string, password: string, ip: string | undefined): Promise<UserRecord> {
    await this.deps.limits?.beforePasswordCheck(email, ip);
    const user = await this.deps.users.findByEmail(normalizeEmail(email));
    if (!user) {
      // Unknown email: verify against a dummy hash so the answer takes as long as a wrong password.
      await this.deps.passwords.verifyDummy(password);
      throw new AuthError("INVALID_CREDENTIALS");
    }
    const result = await this.deps.passwords.verify(user.passwordHash, password);
    if (!result.ok) throw new AuthError("INVALID_CREDENTIALS");
    await this.deps.limits?.passwordCheckSucceeded(email, ip);
    if (result.upgradedHash) {
      // Parameters moved on (or the hash is bcrypt while argon2 is available): store the upgrade.
      return (await this.deps.users.update(user.id, { passwordHash: result.upgradedHash, updatedAt: this.deps.now() })) ?? user;
    }
    return user;
  }
}

/** Serializes a user for an answer; the password hash never leaves the server. */
export function toPublicUser(user: UserRecord, extra?: (user: UserRecord) => Record<string, unknown>): PublicUser {
  return {
    ...(extra ? extra(user) : {}),
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerified,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}
