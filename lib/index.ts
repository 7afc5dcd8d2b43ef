// The public surface of Gatehouse. Everything an app or an adapter author needs, named explicitly.

// The router and its guards
export { authRouter, type AuthRouter } from "./http/router.js";
export type { RequireUser, RequireUserOptions } from "./http/require-user.js";
export type { SessionInfo } from "./http/strategies/strategy.js";

// Options, errors, types
export { resolveOptions, type AuthOptions, type AuthHooks, type Logger, type MailTransport, type LinkBuilder } from "./options.js";
export { AuthError, ERROR_CODES, isAuthError, type ErrorCode, type FieldError } from "./errors.js";
export type { AuthEvent, AuthEvents, NewUser, PublicUser, RequestContext, SessionMeta, UserPatch, UserRecord } from "./types.js";

// Emails
export { DEFAULT_TEMPLATES, escapeHtml, type RenderedMail, type Template, type TemplateContext, type TemplateName } from "./core/mail-templates.js";
export { DEFAULT_PAGES, type PageContext, type PageName, type PageTemplate, type PageText } from "./core/page-texts.js";
export { COMMON_PASSWORDS } from "./core/common-passwords.js";

// Ports: implement them to plug in your own storage, hashing or mail
export type { UserStore } from "./ports/user-store.js";
export type { PasswordHasher } from "./ports/password-hasher.js";
export type { TokenStore, TokenRecord, TokenPurpose } from "./ports/token-store.js";
export type { Mailer, MailMessage } from "./ports/mailer.js";
export type { SessionIndex } from "./ports/session-index.js";

// Adapters
export { RedisUserStore } from "./adapters/redis-user-store.js";
export { MemoryUserStore } from "./adapters/memory-user-store.js";
export { RedisTokenStore } from "./adapters/redis-token-store.js";
export { MemoryTokenStore } from "./adapters/memory-token-store.js";
export { Argon2Hasher } from "./adapters/argon2-hasher.js";
export { BcryptHasher } from "./adapters/bcrypt-hasher.js";
