import session from "express-session";
import type { Request, RequestHandler } from "express";
import type { ResolvedOptions } from "../options.js";
import type { PasswordHasher } from "../ports/password-hasher.js";
import type { UserStore } from "../ports/user-store.js";
import type { AuthEvents, PublicUser, UserRecord } from "../types.js";
import { Accounts, toPublicUser } from "../core/accounts.js";
import { Account } from "../core/account.js";
import { COMMON_PASSWORDS } from "../core/common-passwords.js";
import { Limiter } from "../core/limiter.js";
import { Passwords } from "../core/passwords.js";
import { sessionTtl } from "../core/sessions.js";
import { Notifier } from "../core/mail.js";
import { Recovery } from "../core/recovery.js";
import { Verification } from "../core/verification.js";
import { Limits } from "../core/limits.js";
import { MemoryRateLimiter } from "../adapters/memory-rate-limiter.js";
import { RedisRateLimiter } from "../adapters/redis-rate-limiter.js";
import type { TokenStore } from "../ports/token-store.js";
import { MemoryTokenStore } from "../adapters/memory-token-store.js";
import { RedisTokenStore } from "../adapters/redis-token-store.js";
import { Argon2Hasher, loadArgon2 } from "../adapters/argon2-hasher.js";
import { BcryptHasher } from "../adapters/bcrypt-hasher.js";
import { MemorySessionIndex } from "../adapters/memory-session-index.js";
import { MemoryUserStore } from "../adapters/memory-user-store.js";
import { RedisSessionIndex } from "../adapters/redis-session-index.js";
import { RedisSessionStore } from "../adapters/redis-session-store.js";
import { RedisUserStore } from "../adapters/redis-user-store.js";
import { Csrf } from "./csrf.js";
import { formOrJsonBody, jsonBody } from "./input.js";
import { userGuards, type RequireUser } from "./require-user.js";
import { SessionStrategy } from "./strategies/session.js";
import { JwtStrategy } from "./strategies/jwt.js";
import type { Strategy } from "./strategies/strategy.js";
import { RefreshTokens } from "../core/refresh-tokens.js";
import { JoseAccessTokens } from "../adapters/jose-access-tokens.js";
import { MemoryRefreshStore } from "../adapters/memory-refresh-store.js";
import { RedisRefreshStore } from "../adapters/redis-refresh-store.js";
import type { AccessTokens } from "../ports/access-tokens.js";

/** Everything the routes use, wired once per `authRouter()`. */
export interface HttpContext {
  opts: ResolvedOptions;
  users: UserStore;
  passwords: Passwords;
  accounts: Accounts;
  account: Account;
  tokens: TokenStore;
  notifier: Notifier;
  verification: Verification;
  recovery: Recovery;
  /** Sessions or bearer tokens, per `mode`. */
  strategy: Strategy;
  /** JWT mode's access tokens (for the JWKS endpoint). */
  accessTokens: AccessTokens | undefined;
  csrf: Csrf;
  serialize: (user: UserRecord) => PublicUser;
  /** The JSON body parser, for routes that take a body. */
  body: RequestHandler;
  /** JSON or form bodies (`POST /token`). */
  formOrJsonBody: RequestHandler;
  /** The app-facing guard (honours `requireVerifiedEmail`). */
  requireUser: RequireUser;
  optionalUser: RequestHandler;
  /** The router's own guard: signed in, verified or not (an unverified user can still log out or ask for a link). */
  signedIn: RequestHandler;
  /** Reports a failure of work done after the answer was sent. */
  report: (what: string) => (err: unknown) => void;
  /** Calls the app's hook for an event, with the request's ip and user agent; never throws. */
  emit: <K extends keyof AuthEvents>(name: K, req: Request, event: AuthEvents[K]) => void;
}

/** Calls a hook so that neither a throw nor a rejection reaches the caller. */
function safely(what: string, report: (what: string) => (err: unknown) => void, call: () => unknown): void {
  try {
    Promise.resolve(call()).catch(report(what));
  } catch (err) {
    report(what)(err);
  }
}

let warnedNoArgon2 = false;

/** argon2id when the native module loads; otherwise bcrypt, said once. Other schemes still verify (and upgrade). */
function hashers(opts: ResolvedOptions): { primary: PasswordHasher; others: PasswordHasher[] } {
  const bcrypt = new BcryptHasher({ cost: opts.hashing.bcryptCost });
  // Imported formats first: a Devise hash looks like any bcrypt hash but needs its pepper.
  const { legacy } = opts.hashing;
  if (opts.hashing.hasher) return { primary: opts.hashing.hasher, others: [...legacy, bcrypt] };
  const argon2 = loadArgon2();
  if (argon2) return { primary: new Argon2Hasher(opts.hashing.argon2, argon2), others: [...legacy, bcrypt] };
  if (!warnedNoArgon2) {
    warnedNoArgon2 = true;
    opts.logger.warn("gatehouse: the argon2 module could not be loaded; hashing passwords with bcrypt instead.");
  }
  return { primary: bcrypt, others: legacy };
}

/** Sessions (express-session on Redis) or bearer tokens (jose + refresh families on Redis), per `mode`. */
function createStrategy(
  opts: ResolvedOptions,
  users: UserStore,
  csrf: Csrf,
  serialize: (user: UserRecord) => PublicUser,
  onReuse: (req: Request, userId: string) => void,
): { strategy: Strategy; accessTokens: AccessTokens | undefined } {
  const { redis, keyPrefix, redisTimeoutMs: timeoutMs } = opts;
  if (opts.mode === "jwt") {
    const store = redis ? new RedisRefreshStore(redis, { keyPrefix, timeoutMs }) : new MemoryRefreshStore();
    const accessTokens = new JoseAccessTokens({ ...opts.jwt, ttl: opts.jwt.accessTtl });
    const refresh = new RefreshTokens({ store, users, serialize, now: opts.now, ttl: opts.jwt.refreshTtl, grace: opts.jwt.refreshGrace });
    return { strategy: new JwtStrategy({ opts, access: accessTokens, refresh, store, serialize, onReuse }), accessTokens };
  }
  const index =
    opts.sessionIndex ??
    (redis ? new RedisSessionIndex(redis, { keyPrefix, timeoutMs, ttlSeconds: opts.session.absoluteTimeout }) : new MemorySessionIndex());
  const ttl = (sess: session.SessionData) => sessionTtl(sess.gh, opts.now(), opts.session);
  const store = redis ? new RedisSessionStore(redis, { prefix: `${keyPrefix}sess:`, ttl, timeoutMs }) : new session.MemoryStore();
  return { strategy: new SessionStrategy({ opts, store, users, index, csrf, serialize }), accessTokens: undefined };
}

export function createContext(opts: ResolvedOptions): HttpContext {
  const { redis, keyPrefix, redisTimeoutMs: timeoutMs } = opts;
  if (!redis) opts.logger.warn("gatehouse: inMemory is on: users and sessions live in this process only and are lost when it stops.");
  const report = (what: string) => (err: unknown) => opts.logger.error(`gatehouse: ${what} failed`, err);
  const emit: HttpContext["emit"] = (name, req, event) => {
    const hook = opts.hooks[name] as ((e: unknown) => unknown) | undefined;
    if (!hook) return;
    const context = { ip: req.ip, userAgent: req.get("user-agent") };
    safely(`the ${name} hook`, report, () => hook({ ...event, ...context }));
  };

  const users = opts.userStore ?? (redis ? new RedisUserStore(redis, { keyPrefix, timeoutMs }) : new MemoryUserStore());
  const { primary, others } = hashers(opts);
  const passwords = new Passwords(primary, others, new Limiter(opts.hashing.concurrency, opts.hashing.maxQueue));
  const policy = {
    minLength: opts.password.minLength,
    maxLength: opts.password.maxLength,
    common: opts.password.commonPasswords === false ? new Set<string>() : opts.password.commonPasswords ? new Set([...opts.password.commonPasswords].map((p) => p.toLowerCase())) : COMMON_PASSWORDS,
  };
  const limits = opts.rateLimits ? new Limits(redis ? new RedisRateLimiter(redis, { keyPrefix, timeoutMs }) : new MemoryRateLimiter(), opts.rateLimits) : undefined;
  if (!limits) opts.logger.warn("gatehouse: rateLimits is false: no rate limits and no lockout. Use this for load tests only.");
  const accounts = new Accounts({ users, passwords, policy, now: opts.now, limits });
  const serialize = (user: UserRecord) => toPublicUser(user, opts.serializeUser);
  const csrf = new Csrf(opts.allowedOrigins);
  const { strategy, accessTokens } = createStrategy(opts, users, csrf, serialize, (req, userId) => emit("onRefreshReuse", req, { userId }));
  const { requireUser, optionalUser } = userGuards(strategy, opts.logger, opts.requireVerifiedEmail);

  const tokens = opts.tokenStore ?? (redis ? new RedisTokenStore(redis, { keyPrefix, timeoutMs }) : new MemoryTokenStore());
  if (!opts.mailer) opts.logger.warn("gatehouse: no mailer configured: verification and password-reset emails are not sent.");
  const notifier = new Notifier(opts.mailer, {
    appName: opts.mail.appName,
    appUrl: opts.appUrl.href,
    templates: opts.mail.templates,
    locale: opts.mail.locale,
    onError: (err, info) => {
      opts.logger.error(`gatehouse: could not send the ${info.template} email`, err);
      safely("the onMailError hook", report, () => opts.hooks.onMailError?.(err, info));
    },
  });
  const verification = new Verification({ users, tokens, notifier, serialize, now: opts.now, ttl: opts.tokens.verifyEmailTtl, limits });
  const recovery = new Recovery({
    users,
    tokens,
    passwords,
    policy,
    notifier,
    revoker: strategy,
    serialize,
    now: opts.now,
    ttl: opts.tokens.resetPasswordTtl,
    onBackgroundError: report("issuing a password reset"),
    limits,
  });
  const account = new Account({ users, tokens, passwords, policy, notifier, revoker: strategy, serialize, now: opts.now, changeEmailTtl: opts.tokens.changeEmailTtl, limits });
  return {
    opts,
    users,
    passwords,
    accounts,
    account,
    tokens,
    notifier,
    verification,
    recovery,
    strategy,
    accessTokens,
    csrf,
    serialize,
    body: jsonBody(opts.bodyLimit),
    formOrJsonBody: formOrJsonBody(opts.bodyLimit),
    requireUser,
    optionalUser,
    signedIn: requireUser({ verifiedEmail: false }),
    report,
    emit,
  };
}
