import { AuthError } from "../errors.js";
import type { TokenStore } from "../ports/token-store.js";
import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, UserRecord } from "../types.js";
import type { Notifier } from "./mail.js";
import type { Limits } from "./limits.js";
import { issueToken, parseToken } from "./tokens.js";

export interface VerificationDeps {
  users: UserStore;
  tokens: TokenStore;
  notifier: Notifier;
  serialize: (user: UserRecord) => PublicUser;
  now: () => number;
  /** Lifetime of a verification link, seconds. */
  ttl: number;
  /** Rate limits; absent when switched off. */
  limits: Limits | undefined;
}

/** Email verification: a single-use link to the stored address, bound to that address. */
export class Verification {
  constructor(private readonly deps: VerificationDeps) {}

  /**
   * Issues a verification token (replacing any older one) and emails its link to the user's
   * stored address. `EMAIL_ALREADY_VERIFIED` when there is nothing to verify.
   */
  async request(user: UserRecord, link: (token: string) => string): Promise<void> {
    if (user.emailVerified) throw new AuthError("EMAIL_ALREADY_VERIFIED");
    const ttl = this.deps.ttl;
    const token = await issueToken(this.deps.tokens, user, "verify-email", user.email, ttl, this.deps.now());
    this.deps.notifier.send("verifyEmail", user.email, { user: this.deps.serialize(user), link: link(token), expiresInMinutes: ttl / 60 });
  }

  /** `POST /request-verify-email`: like `request`, limited per user and per client (each mail costs the user an inbox entry). */
  async resend(user: UserRecord, link: (token: string) => string, ip: string | undefined): Promise<void> {
    if (user.emailVerified) throw new AuthError("EMAIL_ALREADY_VERIFIED");
    await this.deps.limits?.beforeVerifyEmailRequest(user.id, ip);
    await this.request(user, link);
  }

  /** Consumes the token and marks the address verified; `INVALID_TOKEN` for anything else. */
  async verify(token: string, ip: string | undefined): Promise<UserRecord> {
    // Counted as a failure until proven good: guessing tokens is throttled per client.
    await this.deps.limits?.beforeTokenUse(ip);
    const parsed = parseToken(token);
    if (!parsed) throw new AuthError("INVALID_TOKEN");
    // Atomic: of concurrent requests with one token, one gets the record.
    const record = await this.deps.tokens.consume(parsed.userId, "verify-email", parsed.hash, this.deps.now());
    if (!record) throw new AuthError("INVALID_TOKEN");
    const user = await this.deps.users.findById(record.userId);
    // A verify token dies when the email changes: it must name the address the user has now.
    if (!user || user.email !== record.target) throw new AuthError("INVALID_TOKEN");
    await this.deps.limits?.tokenAccepted(ip);
    if (user.emailVerified) return user;
    const updated = await this.deps.users.update(user.id, { emailVerified: true, updatedAt: this.deps.now() });
    if (!updated) throw new AuthError("INVALID_TOKEN");
    return updated;
  }
}
