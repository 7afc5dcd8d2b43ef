/**
 * A value that survives `JSON.stringify` / `JSON.parse` unchanged: what user attributes may hold.
 * (No `undefined`, functions, dates or non-finite numbers.)
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A user as the stores keep it. Timestamps are milliseconds since the epoch.
 * `email` is always normalized (trimmed, NFC, lower-cased).
 */
export interface UserRecord {
  /** Random, opaque, URL-safe (base64url of 16 random bytes). */
  id: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  /** A PHC string (`$argon2id$...`) or a bcrypt hash (`$2b$...`). Never leaves the server. */
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
  /**
   * Opaque data of the app or of a later feature (a second factor, a plan, a locale), kept and
   * round-tripped by every store without interpretation. Always present; `{}` when there is none.
   */
  attributes: Record<string, JsonValue>;
}

/** What a store needs to create a user; the id is chosen by the store. */
export interface NewUser {
  email: string;
  name: string | null;
  passwordHash: string;
  emailVerified: boolean;
  createdAt: number;
  /** Initial attributes. @default {} */
  attributes?: Record<string, JsonValue>;
}

/** Fields that may change on an existing user (email changes go through `changeEmail`). */
export interface UserPatch {
  name?: string | null;
  emailVerified?: boolean;
  passwordHash?: string;
  /**
   * Merged key by key into the stored attributes: a key with a value sets it, a key with `null`
   * removes it, keys not named stay as they are.
   */
  attributes?: Record<string, JsonValue | null>;
  updatedAt: number;
}

/** A user as every answer serializes it. Timestamps are ISO 8601 strings. */
export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  createdAt: string;
  updatedAt: string;
  /** Fields an app adds through its `serializeUser` option. */
  [extra: string]: unknown;
}

/** Who made a request, for rate limits, session metadata and hooks. */
export interface RequestContext {
  /** The client address as Express reports it (`req.ip`, which honours `trust proxy`). */
  ip: string | undefined;
  /** The `User-Agent` header, at most 256 characters. */
  userAgent: string | undefined;
  /** The request's `X-Request-Id` (when it is a short token), or a random id. */
  requestId: string;
  /** Sign-in only: the device credential the client presented (device cookie, or `device_token`). */
  deviceToken?: string;
}

/** What a signed-in server-side session holds (under `req.session.gh`). Times in ms. */
export interface SessionMeta {
  /** The user's id. */
  uid: string;
  /**
   * This request's copy of the user: read with the session from the user's credential record on
   * every request (never stored in the session itself), so it is always the current one.
   */
  user: PublicUser;
  /** The session's handle in listings (`GET /sessions`): random, and the same across rotations. */
  handle: string;
  createdAt: number;
  seenAt: number;
  ip: string | undefined;
  userAgent: string | undefined;
  /** The last authentication (sign-in, or POST /reauth), for step-up checks. Absent in older sessions: `createdAt`. */
  authAt?: number;
  /** Signed in under a policy that requires a second factor the user has not set up: only enrollment is allowed. */
  restricted?: "mfa-enrollment";
}

/** The events Gatehouse reports through `hooks`, each with the request's `ip`, `userAgent` and `requestId`. */
export interface AuthEvents {
  onRegister: { user: PublicUser };
  onLogin: { user: PublicUser };
  /** `email` is the normalized address that was tried (it may belong to no account). */
  onLoginFailed: { email: string };
  onLogout: { user: PublicUser };
  onEmailVerified: { user: PublicUser };
  onPasswordReset: { user: PublicUser };
  onPasswordChanged: { user: PublicUser };
  onEmailChanged: { user: PublicUser; oldEmail: string };
  onAccountDeleted: { user: PublicUser };
  /** `count` sessions of the user were ended from the session list. */
  onSessionRevoked: { user: PublicUser; count: number };
  /** JWT mode: a refresh token was replayed after its grace window; its whole family was ended. */
  onRefreshReuse: { userId: string };
  /** A second factor (TOTP) was turned on. */
  onMfaEnabled: { user: PublicUser };
  /** The second factor was turned off. */
  onMfaDisabled: { user: PublicUser };
  /** A recovery code was used (sign-in, re-authentication, or an MFA change); `recoveryCodesLeft` are unused. */
  onMfaRecoveryCodeUsed: { user: PublicUser; recoveryCodesLeft: number };
}

/** The payload a hook receives. */
export type AuthEvent<K extends keyof AuthEvents> = AuthEvents[K] & RequestContext;
