import { randomBytes } from "node:crypto";
import { AuthError } from "../errors.js";
import type { SessionRevoker } from "../ports/session-revoker.js";
import type { TokenRecord, TokenStore } from "../ports/token-store.js";
import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, UserRecord } from "../types.js";
import { normalizeEmail } from "./emails.js";
import type { Notifier } from "./mail.js";
import type { Limits } from "./limits.js";
import type { Passwords } from "./passwords.js";
import { checkPassword, type PasswordPolicy } from "./policy.js";
import { issueToken, parseToken, passwordFingerprint } from "./tokens.js";

export interface RecoveryDeps {
  users: UserStore;
  tokens: TokenStore;
  passwords: Passwords;
  policy: PasswordPolicy;
  notifier: Notifier;
  revoker: SessionRevoker;
  serialize: (user: UserRecord) => PublicUser;
  now: () => number;
  /** Lifetime of a reset link, seconds. */
  ttl: number;
  /** Reports a failure of the work done after answering. */
  onBackgroundError: (err: unknown) => void;
  /** Rate limits; absent when switched off. */
  limits: Limits | undefined;
}

/** Password reset by email: forgot-password, validate, reset. */
export class Recovery {
  constructor(private readonly deps: RecoveryDeps) {}

  /**
   * Starts a reset for `email` if an account has it. Resolves as soon as the account lookup is
   * done, the same way for known and unknown emails: issuing the token and sending the mail
   * happen after, so neither the answer nor its timing says whether the account exists.
   */
  async forgot(email: string, link: (token: string) => string, ip: string | undefined): Promise<void> {
    // Keyed by the email whether or not an account has it: the same answers for both.
    await this.deps.limits?.beforeForgotPassword(email, ip);
    const found = await this.deps.users.findByEmail(normalizeEmail(email));
    // The same store work for known and unknown emails, whatever the store: a second read by id
    // (of the account, or of an id nobody has), so the answer's timing says nothing.
    const user = await this.deps.users.findById(found?.id ?? randomBytes(16).toString("base64url"));
    if (!user) return;
    this.issue(user, link).catch(this.deps.onBackgroundError);
  }

  private async issue(user: UserRecord, link: (token: string) => string): Promise<void> {
    const ttl = this.deps.ttl;
    // One live reset token per user: this replaces (kills) any older one.
    const token = await issueToken(this.deps.tokens, user, "reset-password", user.email, ttl, this.deps.now());
    // Sent to the stored address, never to what the request typed.
    this.deps.notifier.send("resetPassword", user.email, { user: this.deps.serialize(user), link: link(token), expiresInMinutes: ttl / 60 });
  }

  /** Resolves when the token would be accepted by `reset` now; `INVALID_TOKEN` otherwise. Consumes nothing. */
  async validate(token: string, ip: string | undefined): Promise<void> {
    await this.deps.limits?.beforeTokenUse(ip);
    const parsed = parseToken(token);
    if (!parsed) throw new AuthError("INVALID_TOKEN");
    const record = await this.deps.tokens.find(parsed.userId, "reset-password", parsed.hash, this.deps.now());
    await this.owner(record);
    await this.deps.limits?.tokenAccepted(ip);
  }

  /**
   * Sets a new password with a reset token: policy first (a rejected password does not burn the
   * token), then the token is consumed atomically, the password stored, every session of the
   * user ended, and a notice sent.
   */
  async reset(token: string, password: string, ip: string | undefined): Promise<UserRecord> {
    const errors = checkPassword(password, this.deps.policy);
    if (errors.length) throw new AuthError("VALIDATION_FAILED", { errors });
    // Counted as a failure until proven good: guessing tokens is throttled per client.
    await this.deps.limits?.beforeTokenUse(ip);
    const parsed = parseToken(token);
    if (!parsed) throw new AuthError("INVALID_TOKEN");
    // Check before hashing, so guessing tokens does not buy an attacker our hashing time.
    await this.owner(await this.deps.tokens.find(parsed.userId, "reset-password", parsed.hash, this.deps.now()));
    const passwordHash = await this.deps.passwords.hash(password);
    // Atomic: of concurrent resets with one token, exactly one gets past this line.
    const record = await this.deps.tokens.consume(parsed.userId, "reset-password", parsed.hash, this.deps.now());
    const user = await this.owner(record);
    await this.deps.limits?.tokenAccepted(ip);
    const updated = await this.deps.users.update(user.id, { passwordHash, updatedAt: this.deps.now() });
    if (!updated) throw new AuthError("INVALID_TOKEN");
    // The owner proved they read the account's mail: lift the lockout the old password collected.
    await this.deps.limits?.passwordReset(updated.email, ip);
    // A pending email change dies with the old password too.
    await this.deps.tokens.revoke(user.id, ["change-email"]);
    await this.deps.revoker.revokeAll(user.id);
    this.deps.notifier.send("passwordChanged", updated.email, { user: this.deps.serialize(updated) });
    return updated;
  }

  /** The user a reset token belongs to, if the token is still good: same password as when issued. */
  private async owner(record: TokenRecord | null): Promise<UserRecord> {
    if (!record) throw new AuthError("INVALID_TOKEN");
    const user = await this.deps.users.findById(record.userId);
    // A reset token dies when the password changes by any path (fingerprint) or the email changes.
    if (!user || user.email !== record.target || passwordFingerprint(user.passwordHash) !== record.fingerprint) {
      throw new AuthError("INVALID_TOKEN");
    }
    return user;
  }
}
