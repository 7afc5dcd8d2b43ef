import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, UserRecord } from "../types.js";
import type { Credentials } from "./credentials.js";
import type { EmailTokens } from "./email-tokens.js";
import type { Events } from "./events.js";
import type { Notifier } from "./notifier.js";
import type { PasswordPolicy } from "./password-policy.js";
import type { Passwords } from "./passwords.js";
import type { RateLimits } from "./rate-limits.js";

/** What the core services are built from, each documented once; a service picks what it needs. */
export interface CoreDeps {
  users: UserStore;
  emailTokens: EmailTokens;
  passwords: Passwords;
  policy: PasswordPolicy;
  notifier: Notifier;
  /** The user's credential record: every change that sessions and token families must see, or that ends them. */
  credentials: Credentials;
  events: Events;
  serialize: (user: UserRecord) => PublicUser;
  now: () => number;
  /** Rate limits and lockout; absent when switched off. */
  limits: RateLimits | undefined;
  /** Reports a failure of work done after the answer was sent. */
  report: (what: string, err: unknown) => void;
}
