// The public surface of Gatehouse. Everything an app or an adapter author needs, named explicitly.

// The router and its guards
export { authRouter, type AuthRouter } from "./http/router.js";
export type { RequireUser, RequireUserOptions } from "./http/require-user.js";
export type { Protect, ProtectedHandler, SignedInRequest } from "./http/protect.js";
export { problemErrorHandler } from "./http/problem-error-handler.js";
export type { SessionInfo } from "./http/strategies/strategy.js";

// Options, errors, types
export { resolveOptions, type AuthOptions, type AuthHooks, type Logger, type MailTransport, type LinkBuilder } from "./options.js";
export { AuthError, ERROR_CODES, isAuthError, type ErrorCode, type FieldError } from "./errors.js";

// Verifying access tokens outside the app (HS256)
export { hs256VerificationKey } from "./core/jwt-keys.js";
export type { AuthEvent, AuthEvents, JsonValue, NewUser, PublicUser, RequestContext, SessionMeta, UserPatch, UserRecord } from "./types.js";

// Emails
export { DEFAULT_TEMPLATES, escapeHtml, type Activity, type RenderedMail, type Template, type TemplateContext, type TemplateName } from "./core/mail-templates.js";
export { DEFAULT_PAGES, type PageContext, type PageName, type PageTemplate, type PageText } from "./core/page-texts.js";
export { COMMON_PASSWORDS } from "./core/common-passwords.js";
export { devMailer, OutboxMailer, type DevMailerOptions, type OutboxMessage } from "./dev/outbox-mailer.js";
export { normalizeEmail, MAX_EMAIL_LENGTH } from "./core/email-address.js";

// Ports: implement them to plug in your own storage, hashing or mail
export type { UserStore } from "./ports/user-store.js";
export type { PasswordHasher } from "./ports/password-hasher.js";
export type { TokenStore, TokenRecord, TokenPurpose } from "./ports/token-store.js";
export type { Mailer, MailMessage } from "./ports/mailer.js";
export type { MfaStore, MfaRecord, PendingChallenge, ChallengeOutcome } from "./ports/mfa-store.js";

// Adapters
export { RedisUserStore } from "./adapters/redis-user-store.js";
export { MemoryUserStore } from "./adapters/memory-user-store.js";
export { RedisTokenStore } from "./adapters/redis-token-store.js";
export { MemoryTokenStore } from "./adapters/memory-token-store.js";
export { RedisMfaStore } from "./adapters/redis-mfa-store.js";
export { MemoryMfaStore } from "./adapters/memory-mfa-store.js";
export { Argon2Hasher } from "./adapters/argon2-hasher.js";
export { BcryptHasher } from "./adapters/bcrypt-hasher.js";

// Users in SQL (Postgres, MySQL / MariaDB, SQLite through Kysely), and importing them
export { SqlUserStore, type SqlUserStoreOptions, type SqlUserColumns } from "./adapters/sql-user-store.js";
export { kyselyFromUrl, type SqlConnectionOptions, type SqlDialectName, type AnyKysely } from "./adapters/sql-database.js";
export { migrate, migrationStatus, type MigrateOptions, type MigrationState } from "./adapters/sql-migrations.js";
export { importUsers, type ImportRecord, type ImportOutcome, type ImportReport, type ImportOptions } from "./core/user-import.js";

// Verify-only hashers of imported formats (for `hashing.legacy`)
export { DjangoPbkdf2Hasher, djangoPbkdf2 } from "./adapters/django-pbkdf2-hasher.js";
export { BetterAuthScryptHasher, betterAuthScrypt } from "./adapters/better-auth-scrypt-hasher.js";
export { DeviseBcryptHasher, deviseBcrypt, type DeviseBcryptHasherOptions } from "./adapters/devise-bcrypt-hasher.js";
