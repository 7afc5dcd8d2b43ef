import { createHmac } from "node:crypto";
import type { RequestHandler } from "express";
import type { ResolvedOptions, SessionSettings, JwtSettings } from "../options.js";
import type { PasswordHasher } from "../ports/password-hasher.js";
import type { UserStore } from "../ports/user-store.js";
import type { TokenStore } from "../ports/token-store.js";
import type { CredentialStore } from "../ports/credential-store.js";
import type { RefreshStore } from "../ports/refresh-store.js";
import type { SessionStore } from "../ports/session-store.js";
import type { PublicUser, UserRecord } from "../types.js";
import type { AccessTokens } from "../ports/access-tokens.js";
import { Account } from "../core/account.js";
import { DeviceCredentials } from "../core/device-credentials.js";
import { EmailTokens } from "../core/email-tokens.js";
import { Events, safely, type HookTable } from "../core/events.js";
import { failClosed } from "../core/fail-closed.js";
import { HashingQueue } from "../core/hashing-queue.js";
import { Notifier } from "../core/notifier.js";
import { Passwords } from "../core/passwords.js";
import { PasswordProof } from "../core/password-proof.js";
import { toPublicUser } from "../core/public-user.js";
import { RateLimits } from "../core/rate-limits.js";
import { Recovery } from "../core/recovery.js";
import { RefreshTokens } from "../core/refresh-tokens.js";
import { Credentials } from "../core/credentials.js";
import { Sessions } from "../core/sessions.js";
import { trackedUsers, type AppUsers } from "../core/tracked-users.js";
import { SignIn, type SignInStep } from "../core/sign-in.js";
import { EmailVerification } from "../core/verification.js";
import { Mfa } from "../core/mfa.js";
import { SecretBox } from "../core/secret-box.js";
import type { MfaStore } from "../ports/mfa-store.js";
import { MemoryMfaStore } from "../adapters/memory-mfa-store.js";
import { RedisMfaStore } from "../adapters/redis-mfa-store.js";
import { Argon2Hasher, loadArgon2 } from "../adapters/argon2-hasher.js";
import { BcryptHasher } from "../adapters/bcrypt-hasher.js";
import { JoseAccessTokens } from "../adapters/jose-access-tokens.js";
import { MemoryRateLimiter } from "../adapters/memory-rate-limiter.js";
import { MemoryRefreshStore } from "../adapters/memory-refresh-store.js";
import { MemoryCredentialStore } from "../adapters/memory-credential-store.js";
import { MemorySessionStore } from "../adapters/memory-session-store.js";
import { MemoryTokenStore } from "../adapters/memory-token-store.js";
import { MemoryUserStore } from "../adapters/memory-user-store.js";
import { RedisRateLimiter } from "../adapters/redis-rate-limiter.js";
import { RedisRefreshStore } from "../adapters/redis-refresh-store.js";
import { RedisCredentialStore } from "../adapters/redis-credential-store.js";
import { RedisSessionStore } from "../adapters/redis-session-store.js";
import { RedisTokenStore } from "../adapters/redis-token-store.js";
import { RedisUserStore } from "../adapters/redis-user-store.js";
import { RedisCalls } from "../adapters/redis-call.js";
import { Csrf } from "./csrf.js";
import { formOrJsonBody, jsonBody } from "./input.js";
import type { PageOptions } from "./pages.js";
import { userGuards, type RequireUser } from "./require-user.js";
import { SessionStrategy } from "./strategies/session.js";
import { JwtStrategy } from "./strategies/jwt.js";
import type { Strategy } from "./strategies/strategy.js";

/**
 * Everything the routes use, built once per `authRouter()` by {@link createServices}: the one
 * place that chooses adapters. Routes reach the rules through the core services named here.
 */
export interface Services {
  opts: ResolvedOptions;
  users: UserStore;
  /** The user store as the app sees it (`auth.users`): its changes reach the credential record. */
  appUsers: AppUsers;
  passwords: Passwords;
  signIn: SignIn;
  /** Device credentials (the device cookie's name per account). */
  devices: DeviceCredentials;
  sessions: Sessions;
  account: Account;
  verification: EmailVerification;
  recovery: Recovery;
  /** The second factor and step-up. */
  mfa: Mfa;
  /** Sessions or bearer tokens, per `mode`. */
  strategy: Strategy;
  /** JWT mode's strategy, for what only bearer tokens have (`POST /revoke`). */
  bearer: JwtStrategy | undefined;
  /** JWT mode's access tokens (for the JWKS endpoint). */
  accessTokens: AccessTokens | undefined;
  csrf: Csrf;
  /** Resolves when the store answers (one PING under the store deadline), else `SERVICE_UNAVAILABLE`; memory: at once. */
  health: () => Promise<void>;
  serialize: (user: UserRecord) => PublicUser;
  /** The texts and settings of the pages the emailed links answer browsers with. */
  pages: PageOptions;
  /** The JSON body parser, for routes that take a body. */
  body: RequestHandler;
  /** JSON or form bodies (`POST /token`). */
  formOrJsonBody: RequestHandler;
  /** The app-facing guard (honours `requireVerifiedEmail`). */
  requireUser: RequireUser;
  optionalUser: RequestHandler;
  /** The router's own guard: signed in, verified or not (an unverified user can still log out or ask for a link). */
  signedIn: RequestHandler;
}

let warnedNoArgon2 = false;

/** argon2id when the native module loads; otherwise bcrypt, said once. Other schemes still verify (and upgrade). */
function hashers(opts: ResolvedOptions): { primary: PasswordHasher; others: PasswordHasher[] } {
  const bcrypt = new BcryptHasher({ cost: opts.hashing.bcryptCost });
  // Imported formats first: a Devise hash looks like any bcrypt hash but needs its pepper.
  const { custom, legacy } = opts.hashing;
  if (custom) return { primary: failClosed(custom, "hashing.hasher", opts.storage.timeoutMs), others: [...legacy, bcrypt] };
  const argon2 = loadArgon2();
  if (argon2) return { primary: new Argon2Hasher(opts.hashing.argon2, argon2), others: [...legacy, bcrypt] };
  if (!warnedNoArgon2) {
    warnedNoArgon2 = true;
    opts.logger.warn("gatehouse: the argon2 module could not be loaded; hashing passwords with bcrypt instead.");
  }
  return { primary: bcrypt, others: legacy };
}

/** The stores: the app's own (held to "fail closed within the deadline"), else Redis or memory. */
function stores(opts: ResolvedOptions): { users: UserStore; tokens: TokenStore; mfa: MfaStore; credentials: CredentialStore; sessions: () => SessionStore; families: () => RefreshStore } {
  const { backend, timeoutMs, custom } = opts.storage;
  const own = <T extends object>(store: T | undefined, name: string) => (store ? failClosed(store, `storage.${name}`, timeoutMs) : undefined);
  if (backend.kind === "memory") {
    return {
      users: own(custom.users, "users") ?? new MemoryUserStore(),
      tokens: own(custom.tokens, "tokens") ?? new MemoryTokenStore(),
      mfa: new MemoryMfaStore(),
      ...memoryCredentials(opts),
    };
  }
  const redis = { keyPrefix: backend.keyPrefix, timeoutMs };
  return {
    users: own(custom.users, "users") ?? new RedisUserStore(backend.client, redis),
    tokens: own(custom.tokens, "tokens") ?? new RedisTokenStore(backend.client, redis),
    mfa: new RedisMfaStore(backend.client, redis),
    credentials: new RedisCredentialStore(backend.client, { ...redis, tombstoneTtl: longestCredential(opts) }),
    sessions: () => new RedisSessionStore(backend.client, redis),
    families: () => new RedisRefreshStore(backend.client, redis),
  };
}

/** The credential records and sessions in memory: the session store checks the records in the same step. */
function memoryCredentials(opts: ResolvedOptions): { credentials: CredentialStore; sessions: () => SessionStore; families: () => RefreshStore } {
  const credentials = new MemoryCredentialStore();
  return { credentials, sessions: () => new MemorySessionStore(credentials, opts.now), families: () => new MemoryRefreshStore(credentials) };
}

/** Seconds the longest credential can live: how long a deleted user's record must outlive them. */
function longestCredential(opts: ResolvedOptions): number {
  return opts.mode === "session" ? opts.session.absoluteTimeout : opts.jwt.refreshTtl;
}

interface StrategyDeps {
  opts: ResolvedOptions;
  users: UserStore;
  events: Events;
  csrf: Csrf;
  serialize: (user: UserRecord) => PublicUser;
  credentials: Credentials;
  sessionStore: () => SessionStore;
  familyStore: () => RefreshStore;
}

/** Bearer tokens (jose + refresh families on Redis). */
function jwtStrategy(jwt: JwtSettings, deps: StrategyDeps): { strategy: Strategy; accessTokens: AccessTokens; sessions: Sessions } {
  const { opts, events, serialize } = deps;
  const store = deps.familyStore();
  const accessTokens = new JoseAccessTokens({ ...jwt, ttl: jwt.accessTtl });
  const refresh = new RefreshTokens({ store, events, serialize, now: opts.now, secrets: opts.secrets, ttl: jwt.refreshTtl, grace: jwt.refreshGrace, maxFamilies: jwt.maxFamiliesPerUser });
  const sessions = new Sessions({ events, now: opts.now, timeouts: undefined });
  return { strategy: new JwtStrategy({ secrets: opts.secrets, now: opts.now, access: accessTokens, refresh, store, sessions, serialize, credentials: deps.credentials }), accessTokens, sessions };
}

/** Server-side sessions (express-session on Redis). */
function sessionStrategy(settings: SessionSettings, deps: StrategyDeps): { strategy: Strategy; accessTokens: undefined; sessions: Sessions } {
  const { opts, events, serialize, csrf, credentials } = deps;
  const sessions = new Sessions({ events, now: opts.now, timeouts: settings });
  const strategy = new SessionStrategy({ settings, secrets: opts.secrets, now: opts.now, logger: opts.logger, store: deps.sessionStore(), sessions, credentials, serialize, csrf });
  return { strategy, accessTokens: undefined, sessions };
}

/** One PING under the store deadline: a 503 when Redis is down, for requests that touch nothing else. */
function redisHealth(calls: RedisCalls): () => Promise<void> {
  return async () => {
    await calls.call(calls.redis.ping());
  };
}

/**
 * The composition root: builds the adapters the options ask for and the core services on them.
 * `steps` are the sign-in steps after the password (a second factor adds one here).
 */
export function createServices(opts: ResolvedOptions, steps: readonly SignInStep[] = []): Services {
  const { logger, now } = opts;
  if (opts.storage.backend.kind === "memory") logger.warn("gatehouse: storage.inMemory is on: users and sessions live in this process only and are lost when it stops.");
  const report = (what: string, err: unknown) => logger.error(`gatehouse: ${what} failed`, err);
  const events = new Events(opts.hooks as HookTable, report);

  const { users, tokens, mfa: mfaStore, credentials: credentialStore, sessions: sessionStore, families: familyStore } = stores(opts);
  const { primary, others } = hashers(opts);
  const passwords = new Passwords(primary, others, new HashingQueue(opts.hashing.concurrency, opts.hashing.maxQueue));
  const policy = opts.password;
  const { backend, timeoutMs } = opts.storage;
  const limits = opts.rateLimits
    ? new RateLimits(backend.kind === "redis" ? new RedisRateLimiter(backend.client, { keyPrefix: backend.keyPrefix, timeoutMs }) : new MemoryRateLimiter(), opts.rateLimits)
    : undefined;
  if (!limits) logger.warn("gatehouse: rateLimits is false: no rate limits and no lockout. Use this for load tests only.");
  const serialize = (user: UserRecord) => toPublicUser(user, opts.serializeUser);
  const csrf = new Csrf(
    opts.http.allowedOrigins,
    opts.mode === "session" ? { secrets: opts.secrets, cookie: { name: `${opts.session.cookieName}.csrf`, sameSite: opts.session.sameSite, secure: opts.session.secure } } : undefined,
  );
  const health = backend.kind === "redis" ? redisHealth(new RedisCalls(backend.client, timeoutMs)) : async () => {};
  const credentials = new Credentials({ store: credentialStore, users, serialize, now });
  const deps: StrategyDeps = { opts, users, events, csrf, serialize, credentials, sessionStore, familyStore };
  const { strategy, accessTokens, sessions } = opts.mode === "jwt" ? jwtStrategy(opts.jwt, deps) : sessionStrategy(opts.session, deps);
  const { requireUser, optionalUser } = userGuards(strategy, logger, opts.requireVerifiedEmail, now, opts.mode === "jwt");

  if (!opts.mailer) logger.warn("gatehouse: no mailer configured: verification and password-reset emails are not sent.");
  const notifier = new Notifier(opts.mailer, {
    appName: opts.mail.appName,
    appUrl: opts.appUrl.href,
    templates: opts.mail.templates,
    locale: opts.mail.locale,
    onError: (err, info) => {
      logger.error(`gatehouse: could not send the ${info.template} email`, err);
      safely("the onMailError hook", report, () => opts.hooks.onMailError?.(err, info));
    },
  });
  const emailTokens = new EmailTokens({ tokens, users, now, limits });
  const proof = new PasswordProof({ users, passwords, limits, now, credentials });
  const ttl = opts.mail.linkTtl;
  const verification = new EmailVerification({ users, emailTokens, credentials, notifier, events, serialize, now, ttl: ttl.verifyEmail, limits, report });
  const recovery = new Recovery({ users, emailTokens, passwords, policy, notifier, credentials, events, serialize, now, ttl: ttl.resetPassword, report, limits });
  // SignIn takes the factor as a step, and the factor finishes sign-ins through SignIn (called
  // only once a request runs, long after both exist).
  const mfa: Mfa = new Mfa({
    store: mfaStore,
    users,
    passwords,
    box: new SecretBox(opts.secrets, "mfa/totp-secret"),
    clientKey: createHmac("sha256", opts.secrets[0]!).update("gatehouse/mfa/client").digest(),
    notifier,
    events,
    serialize,
    now,
    limits,
    complete: (user, ctx, start, grant) => signIn.complete(user, ctx, start, grant),
    issuer: opts.mfa.issuer,
    required: opts.mfa.required,
    challengeTtl: opts.mfa.challengeTtl,
    maxAttempts: opts.mfa.maxAttempts,
  });
  const account = new Account({ users, emailTokens, passwords, proof, policy, notifier, credentials, events, serialize, now, changeEmailTtl: ttl.confirmEmailChange, limits, secondFactor: mfa });
  const devices = new DeviceCredentials(opts.secrets, now);
  const signIn: SignIn = new SignIn({ users, passwords, proof, policy, verification, recovery, devices, preventEnumeration: opts.preventEnumeration, events, serialize, now, limits, report, steps: [mfa, ...steps] });
  return {
    opts,
    users,
    appUsers: trackedUsers(users, credentials),
    passwords,
    signIn,
    devices,
    sessions,
    account,
    verification,
    recovery,
    mfa,
    strategy,
    bearer: strategy instanceof JwtStrategy ? strategy : undefined,
    accessTokens,
    csrf,
    health,
    serialize,
    pages: { templates: opts.mail.pages, appName: opts.mail.appName, appUrl: opts.appUrl },
    body: jsonBody(opts.http.bodyLimit),
    formOrJsonBody: formOrJsonBody(opts.http.bodyLimit),
    requireUser,
    optionalUser,
    signedIn: requireUser({ verifiedEmail: false }),
  };
}
