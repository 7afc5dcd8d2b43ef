import { availableParallelism } from "node:os";
import { createPrivateKey, createPublicKey, createHmac, type KeyObject } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import type { PasswordHasher } from "./ports/password-hasher.js";
import type { UserStore } from "./ports/user-store.js";
import type { Mailer } from "./ports/mailer.js";
import type { TokenStore } from "./ports/token-store.js";
import type { AuthEvent, AuthEvents, PublicUser, UserRecord } from "./types.js";
import { COMMON_PASSWORDS } from "./core/common-passwords.js";
import { hs256VerificationKey } from "./core/jwt-keys.js";
import { DEFAULT_TEMPLATES, type Template, type TemplateName } from "./core/mail-templates.js";
import { DEFAULT_PAGES, type PageName, type PageTemplate } from "./core/page-texts.js";
import { resolveLimits, type LimitOverrides } from "./core/rate-limits.js";
import type { LimitName, LimitRule } from "./ports/rate-limiter.js";

/** The part of a nodemailer transport Gatehouse uses (`nodemailer.createTransport(...)`). */
export interface MailTransport {
  sendMail(mail: { from: string; to: string; subject: string; text: string; html: string }): Promise<unknown>;
}

/** Builds the link a user follows from an email, given the token. */
export type LinkBuilder = (token: string) => string;

/**
 * Callbacks for the app (audit logs, metrics), called after the change they report is complete.
 * A hook that throws or rejects is reported through `logger.error`; it never fails the request
 * or undoes anything.
 */
export type AuthHooks = {
  [K in keyof AuthEvents]?: (event: AuthEvent<K>) => void | Promise<void>;
} & {
  /** An email could not be sent (the request that caused it succeeded anyway). */
  onMailError?: (err: unknown, info: { template: TemplateName; to: string }) => void | Promise<void>;
};

/** Where Gatehouse reports what an operator should see. Defaults to `console`. */
export interface Logger {
  warn(message: string, details?: unknown): void;
  error(message: string, details?: unknown): void;
}

/** Options of {@link authRouter}. Durations are in seconds. */
export interface AuthOptions {
  /**
   * The ioredis client (a `Redis` or a `Cluster`) for everything: sessions, users, indexes.
   * Create it with `enableOfflineQueue: false` so an outage answers 503 at once (see README).
   * Required unless `inMemory` is true.
   */
  redis?: Redis | Cluster;
  /**
   * Signs session cookies. At least 32 bytes of random data. An array rotates secrets: the
   * first signs, all verify.
   */
  secret: string | string[];
  /**
   * The public URL of the app (`https://app.example.com`). Links in emails are built from it,
   * never from `Host`; its origin is trusted for CSRF; https turns on `Secure` cookies.
   */
  appUrl: string;
  /** `"session"` (server-side sessions, cookies) or `"jwt"` (bearer tokens). @default "session" */
  mode?: "session" | "jwt";
  /** JWT mode settings. */
  jwt?: {
    /** Signature algorithm; the only one accepted on verification. @default "HS256" (a key derived from `secret`) */
    algorithm?: "HS256" | "RS256" | "EdDSA";
    /**
     * Key pairs for RS256 / EdDSA (PEM strings or KeyObjects), each with a `kid`. The first one with
     * a private key signs; all verify and are served at `GET /.well-known/jwks.json`. Rotate by
     * putting a new key first and removing the old one once its tokens have expired.
     */
    keys?: { kid: string; privateKey?: string | KeyObject; publicKey: string | KeyObject }[];
    /** Access token lifetime. @default 900 (15 min) */
    accessTtl?: number;
    /** Refresh token family lifetime, absolute (rotation does not extend it). @default 2592000 (30 days) */
    refreshTtl?: number;
    /** A refresh token reused within this many seconds of its rotation gets the same successor (two tabs); later, reuse revokes the family. @default 10 */
    refreshGrace?: number;
    /** Refresh-token families (signed-in devices) a user may have at once; a sign-in beyond ends the oldest. @default 50 */
    maxFamiliesPerUser?: number;
    /** `iss` of issued tokens and the only accepted one. @default the origin of `appUrl` */
    issuer?: string;
    /** `aud` of issued tokens and the only accepted one. @default the origin of `appUrl` */
    audience?: string;
  };
  /** Where state lives: Redis settings, or your own stores. */
  storage?: {
    /**
     * Keep everything in this process's memory instead of Redis: for demos and tests only; data
     * is lost on restart and nothing is shared between processes. @default false
     */
    inMemory?: boolean;
    /** Prefix of every Redis key Gatehouse writes. @default "gh:" */
    keyPrefix?: string;
    /** Deadline for each call to a store (Redis command, or your store's method), in milliseconds; past it, 503. @default 1500 */
    timeoutMs?: number;
    /** Where users live. @default a `RedisUserStore` on `redis` (`MemoryUserStore` with `inMemory`) */
    users?: UserStore;
    /** Where single-use tokens live (advanced). @default Redis (memory with `inMemory`) */
    tokens?: TokenStore;
  };
  /** Sign the user in (new session) on `POST /register`. @default false */
  signInOnRegister?: boolean;
  /**
   * Registration that reveals nothing: `POST /register` answers 202 with an empty body whether
   * the address is new or taken, after the same hashing and store work. A new address gets the
   * verification mail; a taken one a notice ("someone tried to create an account with your
   * address") with a sign-in and a reset link. Cannot be combined with `signInOnRegister`.
   * @default false
   */
  preventEnumeration?: boolean;
  /** HTTP settings of the router. */
  http?: {
    /** Largest accepted request body, in bytes. @default 16384 */
    bodyLimit?: number;
    /** Other origins (besides `appUrl`'s) whose browser requests are accepted. @default [] */
    trustedOrigins?: string[];
    /** Serve the router's OpenAPI 3.1 document at `GET <mount>/openapi.json`. @default true unless NODE_ENV is "production" */
    openapi?: boolean;
  };
  /** Password rules. */
  password?: {
    /** Minimum length in Unicode code points. @default 8 */
    minLength?: number;
    /** Maximum length in Unicode code points. @default 128 */
    maxLength?: number;
    /** Refused passwords (compared lower-cased); `false` turns the check off. @default the shipped list */
    commonPasswords?: Iterable<string> | false;
  };
  /** How passwords are hashed. */
  hashing?: {
    /** A hasher of your own instead of argon2id (or bcrypt when argon2 cannot load). */
    hasher?: PasswordHasher;
    /**
     * Verify-only hashers of formats imported from another system (`djangoPbkdf2()`,
     * `betterAuthScrypt()`, `deviseBcrypt({ pepper })`, or your own). They are asked, in order,
     * before the built-in bcrypt; a hash one of them verifies is replaced by a new hash at that
     * sign-in. @default []
     */
    legacy?: readonly PasswordHasher[];
    /** argon2id parameters. @default { memoryCost: 19456 (KiB), timeCost: 2, parallelism: 1 } */
    argon2?: { memoryCost?: number; timeCost?: number; parallelism?: number };
    /** bcrypt cost when bcrypt is used (>= 10). @default 12 */
    bcryptCost?: number;
    /**
     * Hashes computed at once; more wait in a queue. One per core: two hashes sharing a core make
     * each slower than the second one gains.
     * @default the number of CPU cores this process may run on (`os.availableParallelism()`)
     */
    concurrency?: number;
    /** Logins allowed to wait for a hashing slot; beyond, 503. @default 1000 */
    maxQueue?: number;
  };
  /** Server-side sessions (session mode). */
  session?: {
    /**
     * Cookie name. @default `"__Host-gh.sid"` when cookies are `Secure`, else `"gh.sid"`
     */
    cookieName?: string;
    /** Sign-out after this long without a request. @default 1800 (30 min) */
    idleTimeout?: number;
    /** Sign-out this long after sign-in, active or not. @default 43200 (12 h) */
    absoluteTimeout?: number;
    /**
     * The session's expiry in Redis is pushed forward at most this often; between, a protected
     * request costs a single Redis read (the user's changes are seen at once either way).
     * @default 60
     */
    touchAfter?: number;
    /** Sessions one user may have at once; a new sign-in beyond it ends the oldest. @default 50 */
    maxPerUser?: number;
    /** `Secure` cookies. @default true when `appUrl` is https */
    secure?: boolean;
    /** `SameSite` of the cookie (`"none"` is refused: it weakens CSRF protection). @default "lax" */
    sameSite?: "lax" | "strict";
  };
  /**
   * Sends the verification, reset and notice emails: a nodemailer transport
   * (`nodemailer.createTransport(process.env.SMTP_URL)`) or any `{ send(message) }`. Without it,
   * no email is sent (and registration sends no verification link).
   */
  mailer?: MailTransport | Mailer;
  /** Email settings. */
  mail?: {
    /** The From header. @default `"<appName>" <no-reply@<appUrl host>>` */
    from?: string;
    /** Your app's name in emails. @default the host of `appUrl` */
    appName?: string;
    /** Replace any shipped template (subject, text, html). */
    templates?: Partial<Record<TemplateName, Template>>;
    /** The user's language, passed to templates as `locale`. */
    locale?: (user: PublicUser) => string | undefined;
    /**
     * Replace the text of any page the emailed links answer browsers with (the confirmation
     * page and its results). Each gets `{ appName, appUrl, locale }` (`locale` from the
     * request's `Accept-Language`) and returns plain text (`{ title, message, button?, back? }`);
     * the router escapes it into its fixed markup.
     */
    pages?: Partial<Record<PageName, PageTemplate>>;
    /**
     * Where email links point, for apps whose front end handles them.
     * @default verifyEmail and confirmEmailChange: this router's GET endpoints under `appUrl`;
     * resetPassword: `<appUrl>/reset-password?token=...` (a page of your app that posts to /reset-password)
     */
    links?: { verifyEmail?: LinkBuilder; resetPassword?: LinkBuilder; confirmEmailChange?: LinkBuilder };
    /** How long each emailed link works, in seconds. */
    linkTtl?: {
      /** @default 86400 (24 h) */
      verifyEmail?: number;
      /** @default 3600 (1 h) */
      resetPassword?: number;
      /** @default 3600 (1 h) */
      confirmEmailChange?: number;
    };
    /**
     * Where `GET /verify-email` sends the browser after verifying (absolute, or a path on
     * `appUrl`), with `?status=verified` or `?status=invalid` (never the token). Without it, the
     * GET answers JSON.
     */
    verifiedRedirect?: string;
  };
  /** The second factor (TOTP with recovery codes) and step-up for sensitive actions. */
  mfa?: {
    /** The issuer shown in authenticator apps. @default `mail.appName` (the host of `appUrl`) */
    issuer?: string;
    /**
     * Users who must have a second factor: `true` for everyone, or a predicate. Such a user who
     * has none signs in into a restricted state that allows only enrollment (every other
     * protected route answers 403 `MFA_ENROLLMENT_REQUIRED`). @default false
     */
    required?: boolean | ((user: PublicUser) => boolean);
    /**
     * Sensitive actions (change password or email, delete the account, turn the second factor
     * off, new recovery codes) need a sign-in or `POST /reauth` at most this many seconds ago;
     * older: 403 `REAUTH_REQUIRED`. @default 600 (10 min)
     */
    stepUpWindow?: number;
    /** How long the pending sign-in step (the `mfaToken`) lives, seconds. @default 300 (5 min) */
    challengeTtl?: number;
    /** Wrong codes that end a pending sign-in step. @default 5 */
    maxAttempts?: number;
  };
  /** `requireUser` answers 403 `EMAIL_NOT_VERIFIED` for users who have not verified their email (per route: `requireUser({ verifiedEmail })`). @default false */
  requireVerifiedEmail?: boolean;
  /** Event callbacks. */
  hooks?: AuthHooks;
  /**
   * Rate limits and lockout, kept in Redis (shared by every instance). Override any rule
   * (`{ loginAccountIp: { points: 10 } }`), or `false` to switch them all off (load tests only).
   * @default the rules in `DEFAULT_LIMITS` (see README, "Rate limits")
   */
  rateLimits?: LimitOverrides | false;
  /** Adds fields to every serialized user (`{ user }` in answers and `req.user`). */
  serializeUser?: (user: UserRecord) => Record<string, unknown>;
  /** The clock, in milliseconds since the epoch. For tests. @default Date.now */
  now?: () => number;
  /** @default console */
  logger?: Logger;
}

const HOOK_NAMES: readonly string[] = [
  "onRegister",
  "onLogin",
  "onLoginFailed",
  "onLogout",
  "onEmailVerified",
  "onPasswordReset",
  "onPasswordChanged",
  "onEmailChanged",
  "onAccountDeleted",
  "onSessionRevoked",
  "onRefreshReuse",
  "onMfaEnabled",
  "onMfaDisabled",
  "onMfaRecoveryCodeUsed",
  "onMailError",
] satisfies (keyof AuthHooks)[];

/** JWT mode's settings, resolved. */
export interface JwtSettings {
  algorithm: "HS256" | "RS256" | "EdDSA";
  /** Verification keys by kid; `signingKid` names the one that signs. */
  keys: { kid: string; signKey: KeyObject | Uint8Array | undefined; verifyKey: KeyObject | Uint8Array }[];
  signingKid: string;
  accessTtl: number;
  refreshTtl: number;
  refreshGrace: number;
  maxFamiliesPerUser: number;
  issuer: string;
  audience: string;
}

/** Session mode's settings, resolved. */
export interface SessionSettings {
  cookieName: string;
  idleTimeout: number;
  absoluteTimeout: number;
  touchAfter: number;
  maxPerUser: number;
  secure: boolean;
  sameSite: "lax" | "strict";
}

/**
 * Where state lives, resolved: Redis (with its key prefix and deadline) or this process's
 * memory, and the stores the app plugged in instead of the built-in ones.
 */
export interface StorageSettings {
  backend: { kind: "redis"; client: Redis | Cluster; keyPrefix: string } | { kind: "memory" };
  timeoutMs: number;
  custom: { users?: UserStore; tokens?: TokenStore };
}

/** Options after defaults and checks: every value chosen, only the active mode's group present. */
export type ResolvedOptions = CommonSettings & ({ mode: "session"; session: SessionSettings } | { mode: "jwt"; jwt: JwtSettings });

/** The settings every mode has. */
export interface CommonSettings {
  secrets: string[];
  appUrl: URL;
  storage: StorageSettings;
  http: { bodyLimit: number; allowedOrigins: Set<string>; openapi: boolean };
  signInOnRegister: boolean;
  preventEnumeration: boolean;
  password: { minLength: number; maxLength: number; common: ReadonlySet<string> };
  hashing: {
    /** The app's own hasher; else argon2id (bcrypt when argon2 cannot load). */
    custom: PasswordHasher | undefined;
    /** Verify-only hashers of imported formats, asked before bcrypt. */
    legacy: PasswordHasher[];
    argon2: { memoryCost: number; timeCost: number; parallelism: number };
    bcryptCost: number;
    concurrency: number;
    maxQueue: number;
  };
  serializeUser: ((user: UserRecord) => Record<string, unknown>) | undefined;
  /** Without a mailer, nothing is sent. */
  mailer: Mailer | undefined;
  mail: {
    from: string;
    appName: string;
    templates: Record<TemplateName, Template>;
    locale: (user: PublicUser) => string | undefined;
    pages: Record<PageName, PageTemplate>;
    links: { verifyEmail?: LinkBuilder; resetPassword?: LinkBuilder; confirmEmailChange?: LinkBuilder };
    linkTtl: { verifyEmail: number; resetPassword: number; confirmEmailChange: number };
    /** Without it, `GET /verify-email` answers JSON. */
    verifiedRedirect: URL | undefined;
  };
  requireVerifiedEmail: boolean;
  mfa: MfaSettings;
  hooks: AuthHooks;
  /** `false`: switched off. */
  rateLimits: Record<LimitName, LimitRule> | false;
  now: () => number;
  logger: Logger;
}

/** The second factor's settings, resolved. Durations in seconds. */
export interface MfaSettings {
  issuer: string;
  required: (user: PublicUser) => boolean;
  /** False when no user can ever be required to enroll (`required: false`, the default). */
  enforced: boolean;
  stepUpWindow: number;
  challengeTtl: number;
  maxAttempts: number;
}

/** Options of 0.1 and where they live now. */
const MOVED: Record<string, string> = {
  inMemory: "storage.inMemory",
  keyPrefix: "storage.keyPrefix",
  redisTimeoutMs: "storage.timeoutMs",
  userStore: "storage.users",
  tokenStore: "storage.tokens",
  sessionIndex: "storage.sessionIndex, which has since been removed (README, Security)",
  bodyLimit: "http.bodyLimit",
  trustedOrigins: "http.trustedOrigins",
  openapi: "http.openapi",
  verifyEmailRedirect: "mail.verifiedRedirect",
  tokens: "mail.linkTtl (verifyEmail, resetPassword, confirmEmailChange)",
};

const OPTION_NAMES: ReadonlySet<string> = new Set([
  "redis", "secret", "appUrl", "mode", "mailer", "storage", "http", "mail", "session", "jwt", "password", "hashing",
  "rateLimits", "hooks", "signInOnRegister", "preventEnumeration", "requireVerifiedEmail", "mfa", "serializeUser", "now", "logger",
] satisfies (keyof AuthOptions)[]);

/** Methods a password hasher needs: checked at `authRouter()` time, not at the first login. */
const HASHER_METHODS = ["hash", "verify", "recognizes", "needsRehash"] as const;

function fail(message: string): never {
  throw new TypeError(`gatehouse: ${message}`);
}

function positiveInt(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    fail(`${name} must be an integer >= ${min} (got ${JSON.stringify(value)}).`);
  }
  return value;
}

function bool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") fail(`${name} must be true or false (got ${JSON.stringify(value)}).`);
  return value;
}

function plainObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${name} must be an object.`);
  return value as Record<string, unknown>;
}

function origin(raw: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(`${name} must be an absolute http(s) URL such as "https://app.example.com" (got ${JSON.stringify(raw)}).`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail(`${name} must use http or https (got ${url.protocol}).`);
  return url;
}

/**
 * Checks the options once, at `authRouter()` time, and fills in defaults. Misconfiguration
 * throws a `TypeError` that says how to fix it.
 */
export function resolveOptions(input: AuthOptions): ResolvedOptions {
  const o = plainObject(input, "options") as unknown as AuthOptions;
  for (const key of Object.keys(o)) {
    if (key in MOVED) fail(`${key} moved to ${MOVED[key]} in 0.2 (see CHANGELOG.md).`);
    if (!OPTION_NAMES.has(key)) fail(`${key} is not an option of authRouter(); see the README's Options table.`);
  }

  const secrets = typeof o.secret === "string" ? [o.secret] : o.secret;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    fail('secret is required: pass at least 32 random bytes, e.g. secret: process.env.AUTH_SECRET (generate one with `openssl rand -base64 48`).');
  }
  for (const s of secrets) {
    if (typeof s !== "string") fail("secret must be a string or an array of strings.");
    if (Buffer.byteLength(s) < 32) {
      fail(`secret must be at least 32 bytes long (got ${Buffer.byteLength(s)}); generate one with \`openssl rand -base64 48\`.`);
    }
  }

  if (typeof o.appUrl !== "string") fail('appUrl is required: the public URL of your app, e.g. appUrl: "https://app.example.com".');
  const appUrl = origin(o.appUrl, "appUrl");

  const mode = o.mode ?? "session";
  if (mode !== "session" && mode !== "jwt") fail(`mode must be "session" or "jwt" (got ${JSON.stringify(mode)}).`);
  const mail = resolveMail(o, appUrl);
  const common: CommonSettings = {
    secrets,
    appUrl,
    storage: resolveStorage(o),
    http: resolveHttp(plainObject(o.http, "http"), appUrl),
    signInOnRegister: bool(o.signInOnRegister, "signInOnRegister", false),
    preventEnumeration: bool(o.preventEnumeration, "preventEnumeration", false),
    password: resolvePassword(plainObject(o.password, "password")),
    hashing: resolveHashing(plainObject(o.hashing, "hashing")),
    serializeUser: fnOrUndefined(o.serializeUser, "serializeUser must be a function.") as CommonSettings["serializeUser"],
    ...mail,
    requireVerifiedEmail: bool(o.requireVerifiedEmail, "requireVerifiedEmail", false),
    mfa: resolveMfa(plainObject(o.mfa, "mfa"), mail.mail.appName),
    hooks: resolveHooks(o.hooks),
    rateLimits: limits(o.rateLimits),
    now: (fnOrUndefined(o.now, "now must be a function returning milliseconds.") as (() => number) | undefined) ?? Date.now,
    logger: resolveLogger(o.logger),
  };
  if (common.preventEnumeration && common.signInOnRegister) {
    fail("preventEnumeration and signInOnRegister cannot be combined: signing in on register would tell a new address from a taken one. Drop signInOnRegister (the user signs in after verifying) or preventEnumeration.");
  }
  // Only the active mode's group is resolved (and checked): the other one is not read.
  if (mode === "jwt") return { ...common, mode, jwt: resolveJwt(plainObject(o.jwt, "jwt"), secrets, appUrl) };
  return { ...common, mode, session: resolveSession(plainObject(o.session, "session"), appUrl) };
}

function fnOrUndefined(value: unknown, message: string): unknown {
  if (value !== undefined && typeof value !== "function") fail(message);
  return value;
}

function resolveStorage(o: AuthOptions): StorageSettings {
  const st = plainObject(o.storage, "storage");
  if (st.sessionIndex !== undefined) fail("storage.sessionIndex was removed: sessions and their index live in Redis in their user's slot, checked against the user's credential record in one step (README, Security).");
  const inMemory = bool(st.inMemory, "storage.inMemory", false);
  const timeoutMs = positiveInt(st.timeoutMs, "storage.timeoutMs", 1500);
  const custom: StorageSettings["custom"] = {};
  for (const [name, methods] of [
    ["users", ["create", "findById", "findByEmail", "update", "changeEmail", "delete"]],
    ["tokens", ["put", "find", "consume", "revoke"]],
  ] as const) {
    const store = st[name] as Record<string, unknown> | undefined;
    if (store === undefined) continue;
    const missing = methods.filter((m) => typeof store?.[m] !== "function");
    if (missing.length) fail(`storage.${name} must implement ${missing.join(", ")}.`);
    (custom as Record<string, unknown>)[name] = store;
  }
  if (inMemory) return { backend: { kind: "memory" }, timeoutMs, custom };
  if (typeof o.redis !== "object" || o.redis === null || typeof (o.redis as { get?: unknown }).get !== "function") {
    fail("redis is required: pass an ioredis client, e.g. redis: new Redis(process.env.REDIS_URL, { enableOfflineQueue: false }) (or storage: { inMemory: true } for a demo).");
  }
  const keyPrefix = st.keyPrefix ?? "gh:";
  if (typeof keyPrefix !== "string" || keyPrefix.length === 0 || /[{}]/.test(keyPrefix)) {
    fail('storage.keyPrefix must be a non-empty string without "{" or "}" (Gatehouse places its own Cluster hash tags), such as "gh:".');
  }
  return { backend: { kind: "redis", client: o.redis, keyPrefix }, timeoutMs, custom };
}

function resolveHttp(h: Record<string, unknown>, appUrl: URL): CommonSettings["http"] {
  const allowedOrigins = new Set([appUrl.origin]);
  if (h.trustedOrigins !== undefined) {
    if (!Array.isArray(h.trustedOrigins)) fail("http.trustedOrigins must be an array of origins.");
    for (const t of h.trustedOrigins) {
      if (typeof t !== "string") fail("http.trustedOrigins must contain strings.");
      allowedOrigins.add(origin(t, "http.trustedOrigins[]").origin);
    }
  }
  return {
    bodyLimit: positiveInt(h.bodyLimit, "http.bodyLimit", 16384),
    allowedOrigins,
    openapi: bool(h.openapi, "http.openapi", process.env.NODE_ENV !== "production"),
  };
}

function resolvePassword(pw: Record<string, unknown>): CommonSettings["password"] {
  const minLength = positiveInt(pw.minLength, "password.minLength", 8);
  const maxLength = positiveInt(pw.maxLength, "password.maxLength", 128);
  if (maxLength < minLength) fail("password.maxLength must be >= password.minLength.");
  if (maxLength > 1024) fail("password.maxLength must be at most 1024 (long inputs make hashing a denial-of-service vector).");
  const list = pw.commonPasswords;
  if (list === false) return { minLength, maxLength, common: new Set() };
  if (list === undefined) return { minLength, maxLength, common: COMMON_PASSWORDS };
  if (typeof (list as Iterable<string>)?.[Symbol.iterator] !== "function") fail("password.commonPasswords must be an iterable of strings or false.");
  const common = new Set<string>();
  for (const p of list as Iterable<unknown>) {
    if (typeof p !== "string") fail("password.commonPasswords must contain strings.");
    common.add(p.toLowerCase());
  }
  return { minLength, maxLength, common };
}

function resolveHashing(h: Record<string, unknown>): CommonSettings["hashing"] {
  const a2 = plainObject(h.argon2, "hashing.argon2");
  const custom = h.hasher as PasswordHasher | undefined;
  if (custom !== undefined) {
    const missing = HASHER_METHODS.filter((m) => typeof (custom as unknown as Record<string, unknown> | null)?.[m] !== "function");
    if (missing.length || typeof custom.name !== "string") {
      fail(`hashing.hasher must implement PasswordHasher (name, ${HASHER_METHODS.join(", ")}); it lacks ${[...(typeof custom?.name === "string" ? [] : ["name"]), ...missing].join(", ")}.`);
    }
  }
  const legacy = h.legacy ?? [];
  if (!Array.isArray(legacy) || !legacy.every((l: unknown) => typeof l === "object" && l !== null && typeof (l as PasswordHasher).verify === "function" && typeof (l as PasswordHasher).recognizes === "function")) {
    fail("hashing.legacy must be an array of PasswordHasher, e.g. [djangoPbkdf2(), betterAuthScrypt()].");
  }
  return {
    custom,
    legacy: [...(legacy as PasswordHasher[])],
    argon2: {
      memoryCost: positiveInt(a2.memoryCost, "hashing.argon2.memoryCost", 19456),
      timeCost: positiveInt(a2.timeCost, "hashing.argon2.timeCost", 2),
      parallelism: positiveInt(a2.parallelism, "hashing.argon2.parallelism", 1),
    },
    bcryptCost: positiveInt(h.bcryptCost, "hashing.bcryptCost", 12, 10),
    concurrency: positiveInt(h.concurrency, "hashing.concurrency", availableParallelism()),
    maxQueue: positiveInt(h.maxQueue, "hashing.maxQueue", 1000, 0),
  };
}

function resolveSession(s: Record<string, unknown>, appUrl: URL): SessionSettings {
  const secure = bool(s.secure, "session.secure", appUrl.protocol === "https:");
  const sameSite = s.sameSite ?? "lax";
  if (sameSite !== "lax" && sameSite !== "strict") fail('session.sameSite must be "lax" or "strict".');
  const cookieName = s.cookieName ?? (secure ? "__Host-gh.sid" : "gh.sid");
  if (typeof cookieName !== "string" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) fail("session.cookieName must be a valid cookie name.");
  if (cookieName.startsWith("__Host-") && !secure) fail('session.cookieName may start with "__Host-" only when cookies are Secure.');
  return {
    cookieName,
    idleTimeout: positiveInt(s.idleTimeout, "session.idleTimeout", 1800),
    absoluteTimeout: positiveInt(s.absoluteTimeout, "session.absoluteTimeout", 43200),
    touchAfter: positiveInt(s.touchAfter, "session.touchAfter", 60, 0),
    maxPerUser: positiveInt(s.maxPerUser, "session.maxPerUser", 50),
    secure,
    sameSite,
  };
}

function resolveMail(o: AuthOptions, appUrl: URL): Pick<CommonSettings, "mailer" | "mail"> {
  const mail = plainObject(o.mail, "mail");
  const appName = mail.appName ?? appUrl.hostname;
  if (typeof appName !== "string") fail("mail.appName must be a string.");
  const from = mail.from ?? `"${appName.replace(/["\\\r\n]/g, "")}" <no-reply@${appUrl.hostname}>`;
  if (typeof from !== "string" || /[\r\n]/.test(from)) fail('mail.from must be a single-line string such as "App <no-reply@example.com>".');
  let mailer: Mailer | undefined;
  if (o.mailer !== undefined) {
    const m = o.mailer as Partial<Mailer & MailTransport>;
    if (typeof m?.send === "function") mailer = m as Mailer;
    else if (typeof m?.sendMail === "function") {
      const transport = m as MailTransport;
      mailer = { send: async (msg) => void (await transport.sendMail({ from, ...msg })) };
    } else fail("mailer must be a nodemailer transport (nodemailer.createTransport(...)) or an object with send(message).");
  }
  const templates = { ...DEFAULT_TEMPLATES, ...plainObject(mail.templates, "mail.templates") } as Record<TemplateName, Template>;
  for (const [name, t] of Object.entries(templates)) {
    if (!(name in DEFAULT_TEMPLATES)) fail(`mail.templates.${name} is not a template; use one of ${Object.keys(DEFAULT_TEMPLATES).join(", ")}.`);
    if (typeof t !== "function") fail(`mail.templates.${name} must be a function returning { subject, text, html }.`);
  }
  const pages = { ...DEFAULT_PAGES, ...plainObject(mail.pages, "mail.pages") } as Record<PageName, PageTemplate>;
  for (const [name, t] of Object.entries(pages)) {
    if (!(name in DEFAULT_PAGES)) fail(`mail.pages.${name} is not a page; use one of ${Object.keys(DEFAULT_PAGES).join(", ")}.`);
    if (typeof t !== "function") fail(`mail.pages.${name} must be a function returning { title, message, button?, back? }.`);
  }
  const locale = fnOrUndefined(mail.locale, "mail.locale must be a function (user) => locale.") as CommonSettings["mail"]["locale"] | undefined;
  const links = plainObject(mail.links, "mail.links") as CommonSettings["mail"]["links"];
  for (const [name, l] of Object.entries(links)) {
    if (!["verifyEmail", "resetPassword", "confirmEmailChange"].includes(name)) fail(`mail.links.${name} is not a link; use verifyEmail, resetPassword or confirmEmailChange.`);
    if (typeof l !== "function") fail(`mail.links.${name} must be a function (token) => url.`);
  }
  let verifiedRedirect: URL | undefined;
  if (mail.verifiedRedirect !== undefined) {
    if (typeof mail.verifiedRedirect !== "string") fail("mail.verifiedRedirect must be a URL or a path.");
    verifiedRedirect = new URL(mail.verifiedRedirect, appUrl);
  }
  const ttl = plainObject(mail.linkTtl, "mail.linkTtl");
  return {
    mailer,
    mail: {
      from,
      appName,
      templates,
      locale: locale ?? (() => undefined),
      pages,
      links,
      linkTtl: {
        verifyEmail: positiveInt(ttl.verifyEmail, "mail.linkTtl.verifyEmail", 86400),
        resetPassword: positiveInt(ttl.resetPassword, "mail.linkTtl.resetPassword", 3600),
        confirmEmailChange: positiveInt(ttl.confirmEmailChange, "mail.linkTtl.confirmEmailChange", 3600),
      },
      verifiedRedirect,
    },
  };
}

function resolveMfa(m: Record<string, unknown>, appName: string): MfaSettings {
  for (const key of Object.keys(m)) {
    if (!["issuer", "required", "stepUpWindow", "challengeTtl", "maxAttempts"].includes(key)) fail(`mfa.${key} is not an option; use issuer, required, stepUpWindow, challengeTtl or maxAttempts.`);
  }
  const issuer = m.issuer ?? appName;
  // The issuer is the label's prefix in otpauth:// URIs, where ":" separates it from the account.
  if (typeof issuer !== "string" || issuer.length === 0 || issuer.length > 64 || issuer.includes(":")) fail("mfa.issuer must be a string of 1 to 64 characters without \":\" (your app's name).");
  const required = m.required ?? false;
  if (typeof required !== "boolean" && typeof required !== "function") fail("mfa.required must be true, false, or a function (user) => boolean.");
  const stepUpWindow = positiveInt(m.stepUpWindow, "mfa.stepUpWindow", 600);
  const challengeTtl = positiveInt(m.challengeTtl, "mfa.challengeTtl", 300);
  if (challengeTtl > 900) fail("mfa.challengeTtl must be at most 900 seconds (the pending step is meant to be short-lived).");
  const maxAttempts = positiveInt(m.maxAttempts, "mfa.maxAttempts", 5);
  if (maxAttempts > 10) fail("mfa.maxAttempts must be at most 10.");
  return {
    issuer,
    required: typeof required === "boolean" ? () => required : (user) => (required as (u: PublicUser) => unknown)(user) === true,
    enforced: required !== false,
    stepUpWindow,
    challengeTtl,
    maxAttempts,
  };
}

function resolveHooks(raw: unknown): AuthHooks {
  const hooks = plainObject(raw, "hooks") as AuthHooks;
  for (const [name, h] of Object.entries(hooks)) {
    if (!HOOK_NAMES.includes(name)) fail(`hooks.${name} is not a hook; use one of ${HOOK_NAMES.join(", ")}.`);
    if (typeof h !== "function") fail(`hooks.${name} must be a function.`);
  }
  return hooks;
}

function resolveLogger(raw: Logger | undefined): Logger {
  const logger = raw ?? console;
  if (typeof logger?.warn !== "function" || typeof logger.error !== "function") fail("logger must have warn() and error().");
  return logger;
}

/** JWT keys and lifetimes. HS256 keys are derived from each secret (a key per purpose, not the cookie secret itself). */
function resolveJwt(j: Record<string, unknown>, secrets: string[], appUrl: URL): JwtSettings {
  const algorithm = j.algorithm ?? "HS256";
  if (algorithm !== "HS256" && algorithm !== "RS256" && algorithm !== "EdDSA") fail('jwt.algorithm must be "HS256", "RS256" or "EdDSA".');
  let keys: JwtSettings["keys"];
  if (algorithm === "HS256") {
    if (j.keys !== undefined) fail("jwt.keys is for RS256 and EdDSA; HS256 derives its keys from `secret` (rotate the secret array instead).");
    keys = secrets.map((secret) => {
      const key = hs256VerificationKey(secret);
      return { kid: `hs-${createHmac("sha256", key).update("kid").digest("base64url").slice(0, 10)}`, signKey: key, verifyKey: key };
    });
  } else {
    if (!Array.isArray(j.keys) || j.keys.length === 0) fail(`jwt.keys is required for ${algorithm}: [{ kid, privateKey, publicKey }] (PEM strings or KeyObjects).`);
    const expected = algorithm === "RS256" ? "rsa" : "ed25519";
    keys = (j.keys as { kid?: unknown; privateKey?: unknown; publicKey?: unknown }[]).map((k, i) => {
      if (typeof k?.kid !== "string" || k.kid.length === 0 || k.kid.length > 64) fail(`jwt.keys[${i}].kid must be a string of 1 to 64 characters.`);
      const load = (raw: unknown, isPrivate: boolean): KeyObject => {
        try {
          if (typeof raw === "object" && raw !== null && "asymmetricKeyType" in raw) return raw as KeyObject;
          return isPrivate ? createPrivateKey(raw as string) : createPublicKey(raw as string);
        } catch {
          fail(`jwt.keys[${i}].${isPrivate ? "privateKey" : "publicKey"} is not a valid PEM key or KeyObject.`);
        }
      };
      const verifyKey = load(k.publicKey, false);
      const signKey = k.privateKey === undefined ? undefined : load(k.privateKey, true);
      for (const key of [verifyKey, signKey]) {
        if (key && key.asymmetricKeyType !== expected) fail(`jwt.keys[${i}] is a ${key.asymmetricKeyType} key; ${algorithm} needs ${expected} keys.`);
      }
      return { kid: k.kid, signKey, verifyKey };
    });
    if (new Set(keys.map((k) => k.kid)).size !== keys.length) fail("jwt.keys must have distinct kids.");
  }
  const signing = keys.find((k) => k.signKey);
  if (!signing) fail("jwt.keys needs at least one key with a privateKey to sign with.");
  const issuer = j.issuer ?? appUrl.origin;
  const audience = j.audience ?? appUrl.origin;
  if (typeof issuer !== "string" || typeof audience !== "string") fail("jwt.issuer and jwt.audience must be strings.");
  return {
    algorithm,
    keys,
    signingKid: signing.kid,
    accessTtl: positiveInt(j.accessTtl, "jwt.accessTtl", 900),
    refreshTtl: positiveInt(j.refreshTtl, "jwt.refreshTtl", 2592000),
    refreshGrace: positiveInt(j.refreshGrace, "jwt.refreshGrace", 10, 0),
    maxFamiliesPerUser: positiveInt(j.maxFamiliesPerUser, "jwt.maxFamiliesPerUser", 50),
    issuer,
    audience,
  };
}

function limits(raw: unknown): Record<LimitName, LimitRule> | false {
  if (raw === false) return false;
  try {
    return resolveLimits(plainObject(raw, "rateLimits") as LimitOverrides);
  } catch (err) {
    fail(`rateLimits: ${(err as Error).message}`);
  }
}
