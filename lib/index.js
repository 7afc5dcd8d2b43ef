// The public surface of Gatehouse. Everything an app or an adapter author needs, named explicitly.
// The router and its guards
export { authRouter } from "./http/router.js";
export { problemErrorHandler } from "./http/problem-error-handler.js";
// Options, errors, types
export { resolveOptions } from "./options.js";
export { AuthError, ERROR_CODES, isAuthError } from "./errors.js";
// Verifying access tokens outside the app (HS256)
export { hs256VerificationKey } from "./core/jwt-keys.js";
// Emails
export { DEFAULT_TEMPLATES, escapeHtml } from "./core/mail-templates.js";
export { DEFAULT_PAGES } from "./core/page-texts.js";
export { COMMON_PASSWORDS } from "./core/common-passwords.js";
export { devMailer, OutboxMailer } from "./dev/outbox-mailer.js";
export { normalizeEmail, MAX_EMAIL_LENGTH } from "./core/email-address.js";
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
export { SqlUserStore } from "./adapters/sql-user-store.js";
export { kyselyFromUrl } from "./adapters/sql-database.js";
export { migrate, migrationStatus } from "./adapters/sql-migrations.js";
export { importUsers } from "./core/user-import.js";
// Verify-only hashers of imported formats (for `hashing.legacy`)
export { DjangoPbkdf2Hasher, djangoPbkdf2 } from "./adapters/django-pbkdf2-hasher.js";
export { BetterAuthScryptHasher, betterAuthScrypt } from "./adapters/better-auth-scrypt-hasher.js";
export { DeviseBcryptHasher, deviseBcrypt } from "./adapters/devise-bcrypt-hasher.js";
