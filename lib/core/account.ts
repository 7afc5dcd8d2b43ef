import { AuthError } from "../errors.js";
import type { SessionRevoker } from "../ports/session-revoker.js";
import type { TokenStore } from "../ports/token-store.js";
import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, UserRecord } from "../types.js";
import { normalizeEmail } from "./emails.js";
import type { Notifier } from "./mail.js";
import type { Passwords } from "./passwords.js";
import type { Limits } from "./limits.js";
import { checkPassword, type PasswordPolicy } from "./policy.js";
import { issueToken, parseToken, passwordFingerprint } from "./tokens.js";

export interface AccountDeps {
  users: UserStore;
  tokens: TokenStore;
  passwords: Passwords;
  policy: PasswordPolicy;
  notifier: Notifier;
  revoker: SessionRevoker;
  serialize: (user: UserRecord) => PublicUser;
  now: () => number;
  /** Lifetime of an email-change link, seconds. */
  changeEmailTtl: number;
  /** Rate limits and lockout; absent when switched off. */
  limits: Limits | undefined;
}

/** What a signed-in user does to their own account: change password or email, delete it. */
export class Account {
  constructor(private readonly deps: AccountDeps) {}

  /** The stored user behind a session; `UNAUTHENTICATED` when it is gone. */
  private async current(userId: string): Promise<UserRecord> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AuthError("UNAUTHENTICATED");
    return user;
  }

  /**
   * Re-authentication for sensitive changes: `INVALID_PASSWORD` when the password is wrong. It
   * counts like a login attempt, so a stolen session cannot brute-force the password.
   */
  private async confirmPassword(user: UserRecord, password: string, ip: string | undefined): Promise<void> {
    await this.deps.limits?.beforePasswordCheck(user.email, ip);
    const { ok } = await this.deps.passwords.verify(user.passwordHash, password);
    if (!ok) throw new AuthError("INVALID_PASSWORD");
    await this.deps.limits?.passwordCheckSucceeded(user.email, ip);
  }

  /**
   * Sets a new password after checking the current one. Every other session of the user ends
   * (`keepSession` survives; the caller rotates it), outstanding reset and email-change tokens
   * die, and the user gets a notice.
   */
  async changePassword(userId: string, currentPassword: string, newPassword: string, keepSession: string | undefined, ip: string | undefined): Promise<UserRecord> {
    const errors = checkPassword(newPassword, this.deps.policy, "newPassword");
    if (errors.length) throw new AuthError("VALIDATION_FAILED", { errors });
    const user = await this.current(userId);
    await this.confirmPassword(user, currentPassword, ip);
    const passwordHash = await this.deps.passwords.hash(newPassword);
    const updated = await this.deps.users.update(user.id, { passwordHash, updatedAt: this.deps.now() });
    if (!updated) throw new AuthError("UNAUTHENTICATED");
    await this.deps.tokens.revoke(user.id, ["reset-password", "change-email"]);
    await this.deps.revoker.revokeAll(user.id, keepSession);
    this.deps.notifier.send("passwordChanged", updated.email, { user: this.deps.serialize(updated) });
    return updated;
  }

  /**
   * Starts an email change: after the password check, a confirmation link goes to the new
   * address and a notice to the old one. The answer is the same whether or not the new address
   * is taken (no enumeration); a taken address simply gets no link. A newer request replaces a
   * pending one. Nothing changes until the link is used.
   */
  async requestEmailChange(userId: string, password: string, newEmailRaw: string, link: (token: string) => string, ip: string | undefined): Promise<void> {
    await this.deps.limits?.beforeChangeEmail(userId, ip);
    const user = await this.current(userId);
    await this.confirmPassword(user, password, ip);
    const newEmail = normalizeEmail(newEmailRaw);
    // Any new request replaces a pending one, including a request that sends no link.
    await this.deps.tokens.revoke(user.id, ["change-email"]);
    if (newEmail === user.email) return;
    const owner = await this.deps.users.findByEmail(newEmail);
    const ttl = this.deps.changeEmailTtl;
    const publicUser = this.deps.serialize(user);
    if (!owner) {
      const token = await issueToken(this.deps.tokens, user, "change-email", newEmail, ttl, this.deps.now());
      this.deps.notifier.send("confirmEmailChange", newEmail, { user: publicUser, newEmail, link: link(token), expiresInMinutes: ttl / 60 });
    }
    this.deps.notifier.send("emailChanged", user.email, { user: publicUser, newEmail });
  }

  /**
   * Applies an email change with the link's token: the new address must still be free (the
   * store claims it atomically: of two users racing for it, one wins), and it is verified by
   * this very link. `INVALID_TOKEN` if the token is unknown, used, expired, or the password
   * changed since it was issued.
   */
  async confirmEmailChange(token: string, ip: string | undefined): Promise<{ user: UserRecord; oldEmail: string }> {
    // Counted as a failure until proven good: guessing tokens is throttled per client.
    await this.deps.limits?.beforeTokenUse(ip);
    const parsed = parseToken(token);
    if (!parsed) throw new AuthError("INVALID_TOKEN");
    const record = await this.deps.tokens.consume(parsed.userId, "change-email", parsed.hash, this.deps.now());
    if (!record) throw new AuthError("INVALID_TOKEN");
    const user = await this.deps.users.findById(record.userId);
    if (!user || passwordFingerprint(user.passwordHash) !== record.fingerprint) throw new AuthError("INVALID_TOKEN");
    await this.deps.limits?.tokenAccepted(ip);
    const changed = await this.deps.users.changeEmail(user.id, record.target, this.deps.now());
    if (changed === "email_taken") throw new AuthError("EMAIL_ALREADY_REGISTERED");
    if (!changed) throw new AuthError("INVALID_TOKEN");
    // A verification link for the old address is dead now (bound to it); this link proved the new one.
    await this.deps.tokens.revoke(user.id, ["verify-email"]);
    const verified = await this.deps.users.update(user.id, { emailVerified: true, updatedAt: this.deps.now() });
    return { user: verified ?? changed, oldEmail: user.email };
  }

  /**
   * Deletes the account after the password check: tokens, the user (its email is free again)
   * and every session. A second, concurrent delete finds no user and answers as signed out.
   */
  async delete(userId: string, password: string, ip: string | undefined): Promise<UserRecord> {
    const user = await this.current(userId);
    await this.confirmPassword(user, password, ip);
    await this.deps.tokens.revoke(user.id, ["verify-email", "reset-password", "change-email"]);
    if (!(await this.deps.users.delete(user.id))) throw new AuthError("UNAUTHENTICATED");
    await this.deps.revoker.revokeAll(user.id);
    return user;
  }
}
