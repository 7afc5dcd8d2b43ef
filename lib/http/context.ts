import session from "express-session";
import type { RequestHandler } from "express";
import type { ResolvedOptions } from "../options.js";
import type { PasswordHasher } from "../ports/password-hasher.js";
import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, UserRecord } from "../types.js";
import { Accounts, toPublicUser } from "../core/accounts.js";
import { COMMON_PASSWORDS } from "../core/common-passwords.js";
import { Limiter } from "../core/limiter.js";
import { Passwords } from "../core/passwords.js";
import { sessionTtl } from "../core/sessions.js";
import { Argon2Hasher, loadArgon2 } from "../adapters/argon2-hasher.js";
import { BcryptHasher } from "../adapters/bcrypt-hasher.js";
import { MemorySessionIndex } from "../adapters/memory-session-index.js";
import { MemoryUserStore } from "../adapters/memory-user-store.js";
import { RedisSessionIndex } from "../adapters/redis-session-index.js";
import { RedisSessionStore } from "../adapters/redis-session-store.js";
import { RedisUserStore } from "../adapters/redis-user-store.js";
import { Csrf } from "./csrf.js";
import { jsonBody } from "./input.js";
import { userGuards } from "./require-user.js";
import { SessionStrategy } from "./strategies/session.js";

/** Everything the routes use, wired once per `authRouter()`. */
export interface HttpContext {
  opts: ResolvedOptions;
  users: UserStore;
  passwords: Passwords;
  accounts: Accounts;
  sessions: SessionStrategy;
  csrf: Csrf;
  serialize: (user: UserRecord) => PublicUser;
  /** The JSON body parser, for routes that take a body. */
  body: RequestHandler;
  requireUser: RequestHandler;
  optionalUser: RequestHandler;
}

let warnedNoArgon2 = false;

/** argon2id when the native module loads; otherwise bcrypt, said once. Other schemes still verify (and upgrade). */
function hashers(opts: ResolvedOptions): { primary: PasswordHasher; others: PasswordHasher[] } {
  const bcrypt = new BcryptHasher({ cost: opts.hashing.bcryptCost });
  if (opts.hashing.hasher) return { primary: opts.hashing.hasher, others: [bcrypt] };
  const argon2 = loadArgon2();
  if (argon2) return { primary: new Argon2Hasher(opts.hashing.argon2, argon2), others: [bcrypt] };
  if (!warnedNoArgon2) {
    warnedNoArgon2 = true;
    opts.logger.warn("gatehouse: the argon2 module could not be loaded; hashing passwords with bcrypt instead.");
  }
  return { primary: bcrypt, others: [] };
}

export function createContext(opts: ResolvedOptions): HttpContext {
  const { redis, keyPrefix, redisTimeoutMs: timeoutMs } = opts;
  if (!redis) opts.logger.warn("gatehouse: inMemory is on: users and sessions live in this process only and are lost when it stops.");
  const users = opts.userStore ?? (redis ? new RedisUserStore(redis, { keyPrefix, timeoutMs }) : new MemoryUserStore());
  const index =
    opts.sessionIndex ??
    (redis ? new RedisSessionIndex(redis, { keyPrefix, timeoutMs, ttlSeconds: opts.session.absoluteTimeout }) : new MemorySessionIndex());
  const ttl = (sess: session.SessionData) => sessionTtl(sess.gh, opts.now(), opts.session);
  const store = redis ? new RedisSessionStore(redis, { prefix: `${keyPrefix}sess:`, ttl, timeoutMs }) : new session.MemoryStore();

  const { primary, others } = hashers(opts);
  const passwords = new Passwords(primary, others, new Limiter(opts.hashing.concurrency, opts.hashing.maxQueue));
  const policy = {
    minLength: opts.password.minLength,
    maxLength: opts.password.maxLength,
    common: opts.password.commonPasswords === false ? new Set<string>() : opts.password.commonPasswords ? new Set([...opts.password.commonPasswords].map((p) => p.toLowerCase())) : COMMON_PASSWORDS,
  };
  const accounts = new Accounts({ users, passwords, policy, now: opts.now });
  const serialize = (user: UserRecord) => toPublicUser(user, opts.serializeUser);
  const csrf = new Csrf(opts.allowedOrigins);
  const sessions = new SessionStrategy({ opts, store, users, index, csrf, serialize });
  const { requireUser, optionalUser } = userGuards(sessions, csrf, opts.logger);
  return { opts, users, passwords, accounts, sessions, csrf, serialize, body: jsonBody(opts.bodyLimit), requireUser, optionalUser };
}
