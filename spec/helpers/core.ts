import { PasswordProof } from "../../lib/core/password-proof.js";
import { DeviceCredentials } from "../../lib/core/device-credentials.js";
import { Argon2Hasher } from "../../lib/adapters/argon2-hasher.js";
import { MemoryRateLimiter } from "../../lib/adapters/memory-rate-limiter.js";
import { MemoryRefreshStore } from "../../lib/adapters/memory-refresh-store.js";
import { MemoryTokenStore } from "../../lib/adapters/memory-token-store.js";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { Account } from "../../lib/core/account.js";
import { COMMON_PASSWORDS } from "../../lib/core/common-passwords.js";
import { EmailTokens } from "../../lib/core/email-tokens.js";
import { Events, type HookTable } from "../../lib/core/events.js";
import { HashingQueue } from "../../lib/core/hashing-queue.js";
import { DEFAULT_TEMPLATES } from "../../lib/core/mail-templates.js";
import { Notifier } from "../../lib/core/notifier.js";
import type { PasswordPolicy } from "../../lib/core/password-policy.js";
import { Passwords } from "../../lib/core/passwords.js";
import { toPublicUser } from "../../lib/core/public-user.js";
import { RateLimits, resolveLimits, type LimitOverrides } from "../../lib/core/rate-limits.js";
import { Recovery } from "../../lib/core/recovery.js";
import { RefreshTokens } from "../../lib/core/refresh-tokens.js";
import { Sessions, type SessionTimeouts } from "../../lib/core/sessions.js";
import { SignIn, type SignInStep } from "../../lib/core/sign-in.js";
import { EmailVerification } from "../../lib/core/verification.js";
import { AuthError } from "../../lib/errors.js";
import type { MailMessage, Mailer } from "../../lib/ports/mailer.js";
import type { PasswordHasher } from "../../lib/ports/password-hasher.js";
import type { RateLimiter } from "../../lib/ports/rate-limiter.js";
import type { RefreshStore } from "../../lib/ports/refresh-store.js";
import type { CredentialChange, KeptCredential } from "../../lib/ports/credential-store.js";
import { MemoryCredentialStore } from "../../lib/adapters/memory-credential-store.js";
import { Credentials } from "../../lib/core/credentials.js";
import type { TokenStore } from "../../lib/ports/token-store.js";
import type { UserStore } from "../../lib/ports/user-store.js";
import type { AuthEvents, RequestContext, UserRecord } from "../../lib/types.js";

/** argon2id with small parameters: the specs need correctness, not cost. */
export function fastHasher(): Argon2Hasher {
  return new Argon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
}

/** Counts hash and verify calls of the wrapped hasher (timing parity is checked by counting). */
export class CountingHasher implements PasswordHasher {
  hashes = 0;
  verifies = 0;
  constructor(private readonly inner: PasswordHasher = fastHasher()) {}
  get name() {
    return this.inner.name;
  }
  hash(p: string) {
    this.hashes++;
    return this.inner.hash(p);
  }
  verify(h: string, p: string) {
    this.verifies++;
    return this.inner.verify(h, p);
  }
  recognizes(h: string) {
    return this.inner.recognizes(h);
  }
  needsRehash(h: string) {
    return this.inner.needsRehash(h);
  }
}

/** A clock the specs move by hand. */
export class Clock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now = () => this.t;
  advance(seconds: number) {
    this.t += seconds * 1000;
  }
}

/** Keeps every message it is given; `next` waits for one to arrive (no sleeping). */
export class RecordingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  private waiters: (() => void)[] = [];

  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Mail to `to` so far. */
  to(to: string): MailMessage[] {
    return this.sent.filter((m) => m.to === to);
  }

  /** The first mail to `to` (matching `subject`) among those sent after the first `since`, once it is there. */
  async next(to: string, opts: { subject?: RegExp; since?: number } = {}): Promise<MailMessage> {
    for (;;) {
      const hit = this.sent.slice(opts.since ?? 0).find((m) => m.to === to && (!opts.subject || opts.subject.test(m.subject)));
      if (hit) return hit;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** The token in a mail's link (`?token=`). */
export function tokenIn(mail: MailMessage): string {
  const m = /[?&]token=([A-Za-z0-9_.-]+)/.exec(mail.text);
  if (!m) throw new Error(`no token in: ${mail.text}`);
  return m[1]!;
}

/** Ends nothing, but remembers who asked: `revokeAll(userId, keep)`. */
/** The memory credential store, recording every commit that ends credentials (a revocation or a deletion). */
export class RecordingCredentialStore extends MemoryCredentialStore {
  readonly calls: { userId: string; keep: KeptCredential | undefined }[] = [];
  override async commit(userId: string, change: CredentialChange): Promise<void> {
    if (change.revoke || change.gone) this.calls.push({ userId, keep: change.keep });
    return super.commit(userId, change);
  }
}

/** The port with a count of calls per method name. Nothing else changes. */
export function counting<T extends object>(port: T): { port: T; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(port, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls[String(key)] = (calls[String(key)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { port: proxy, calls };
}

/** The AuthError `call` rejects with; fails when it resolves or rejects otherwise. */
export async function rejection(call: Promise<unknown> | (() => unknown)): Promise<AuthError> {
  try {
    await (typeof call === "function" ? call() : call);
  } catch (err) {
    if (err instanceof AuthError) return err;
    throw err;
  }
  throw new Error("expected an AuthError, but it resolved");
}

export const PASSWORD = "correct horse battery staple";
export const NEW_PASSWORD = "a different long passphrase";
export const CTX: RequestContext = { ip: "203.0.113.7", userAgent: "spec", requestId: "req-1" };
export const OTHER_CTX: RequestContext = { ip: "198.51.100.9", userAgent: "other", requestId: "req-2" };
export const POLICY: PasswordPolicy = { minLength: 8, maxLength: 64, common: COMMON_PASSWORDS };
export const link = (token: string) => `http://app.test/auth/link?token=${token}`;
/** The links a registration's mail may carry, all pointing at `link`. */
export const registerLinks = { verifyEmail: link, resetPassword: link, signIn: "http://app.test/" };

/** One fired event: the hook name and what it received. */
export type FiredEvent = { name: keyof AuthEvents; event: Record<string, unknown> };

export interface CoreOptions {
  users?: UserStore;
  tokens?: TokenStore;
  refreshStore?: RefreshStore;
  hasher?: PasswordHasher;
  /** Rate limits: `false` switches them off; an object overrides buckets. @default the defaults */
  limits?: false | LimitOverrides;
  /** The counters behind the limits. @default a MemoryRateLimiter */
  limiter?: RateLimiter;
  steps?: readonly SignInStep[];
  /** Hooks that replace the recording ones for the names they give. */
  hooks?: HookTable;
  timeouts?: SessionTimeouts;
}

/**
 * Every core service on the memory adapters, with a clock moved by hand, a recording mailer,
 * a counting fast hasher, and the events and reports kept for assertions. Fresh per case.
 */
export function buildCore(o: CoreOptions = {}) {
  const clock = new Clock();
  const now = clock.now;
  const users = o.users ?? new MemoryUserStore();
  const tokens = o.tokens ?? new MemoryTokenStore();
  const revoker = new RecordingCredentialStore();
  const refreshStore = o.refreshStore ?? new MemoryRefreshStore(revoker);
  const hasher = new CountingHasher(o.hasher);
  const passwords = new Passwords(hasher, [], new HashingQueue(4, 100));
  const reports: { what: string; err: unknown }[] = [];
  const report = (what: string, err: unknown) => void reports.push({ what, err });
  const fired: FiredEvent[] = [];
  const recordAll = new Proxy({} as HookTable, {
    get: (_t, name) => (o.hooks as Record<string | symbol, unknown> | undefined)?.[name] ?? ((event: Record<string, unknown>) => void fired.push({ name: name as keyof AuthEvents, event })),
  });
  const events = new Events(recordAll, report);
  const limits = o.limits === false ? undefined : new RateLimits(o.limiter ?? new MemoryRateLimiter(), resolveLimits(o.limits ?? {}));
  const mailer = new RecordingMailer();
  const mailErrors: unknown[] = [];
  const notifier = new Notifier(mailer, {
    appName: "App",
    appUrl: "http://app.test/",
    templates: DEFAULT_TEMPLATES,
    locale: () => undefined,
    onError: (err) => void mailErrors.push(err),
  });
  const serialize = (user: UserRecord) => toPublicUser(user);
  const credentials = new Credentials({ store: revoker, users, serialize, now });
  const emailTokens = new EmailTokens({ tokens, users, now, limits });
  const proof = new PasswordProof({ users, passwords, limits, now, credentials });
  const verification = new EmailVerification({ users, emailTokens, credentials, notifier, events, serialize, now, ttl: 24 * 3600, limits, report });
  const recovery = new Recovery({ users, emailTokens, passwords, policy: POLICY, notifier, credentials, events, serialize, now, ttl: 3600, report, limits });
  const account = new Account({ users, emailTokens, passwords, proof, policy: POLICY, notifier, credentials, events, serialize, now, changeEmailTtl: 3600, limits });
  const devices = new DeviceCredentials(["core-spec-secret-that-is-long-enough-0123"], now);
  const signIn = new SignIn({ users, passwords, proof, policy: POLICY, verification, recovery, devices, preventEnumeration: false, events, serialize, now, limits, report, steps: o.steps ?? [] });
  const sessions = new Sessions({ events, now, timeouts: o.timeouts ?? { idleTimeout: 1800, absoluteTimeout: 86400, touchAfter: 60 } });
  const refreshTokens = new RefreshTokens({ store: refreshStore, events, serialize, now, secrets: ["core-spec-secret-that-is-long-enough-0123"], ttl: 30 * 86400, grace: 10, maxFamilies: 50 });

  /** A stored user with this password (hashed for real), verified unless said otherwise. */
  const createUser = async (email: string, password = PASSWORD, verified = true): Promise<UserRecord> => {
    const user = await users.create({ email, name: null, passwordHash: await passwords.hash(password), emailVerified: verified, createdAt: now() });
    if (!user) throw new Error(`${email} is taken`);
    return user;
  };

  return {
    clock,
    now,
    users,
    tokens,
    refreshStore,
    hasher,
    passwords,
    events,
    fired,
    reports,
    limits,
    mailer,
    mailErrors,
    notifier,
    revoker,
    credentials,
    serialize,
    emailTokens,
    verification,
    recovery,
    account,
    signIn,
    sessions,
    refreshTokens,
    createUser,
    /** The names of the events fired so far, in order. */
    firedNames: () => fired.map((f) => f.name),
  };
}

export type Core = ReturnType<typeof buildCore>;
