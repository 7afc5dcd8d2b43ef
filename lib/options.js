import { availableParallelism } from "node:os";
import { createPrivateKey, createPublicKey, createHmac } from "node:crypto";
import { COMMON_PASSWORDS } from "./core/common-passwords.js";
import { hs256VerificationKey } from "./core/jwt-keys.js";
import { DEFAULT_TEMPLATES } from "./core/mail-templates.js";
import { DEFAULT_PAGES } from "./core/page-texts.js";
import { resolveLimits } from "./core/rate-limits.js";
const HOOK_NAMES = [
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
];
/** Options of 0.1 and where they live now. */
const MOVED = {
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
const OPTION_NAMES = new Set([
    "redis", "secret", "appUrl", "mode", "mailer", "storage", "http", "mail", "session", "jwt", "password", "hashing",
    "rateLimits", "hooks", "signInOnRegister", "preventEnumeration", "requireVerifiedEmail", "mfa", "serializeUser", "now", "logger",
]);
/** Methods a password hasher needs: checked at `authRouter()` time, not at the first login. */
const HASHER_METHODS = ["hash", "verify", "recognizes", "needsRehash"];
function fail(message) {
    throw new TypeError(`gatehouse: ${message}`);
}
function positiveInt(value, name, fallback, min = 1) {
    if (value === undefined)
        return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
        fail(`${name} must be an integer >= ${min} (got ${JSON.stringify(value)}).`);
    }
    return value;
}
function bool(value, name, fallback) {
    if (value === undefined)
        return fallback;
    if (typeof value !== "boolean")
        fail(`${name} must be true or false (got ${JSON.stringify(value)}).`);
    return value;
}
function plainObject(value, name) {
    if (value === undefined)
        return {};
    if (typeof value !== "object" || value === null || Array.isArray(value))
        fail(`${name} must be an object.`);
    return value;
}
function origin(raw, name) {
    let url;
    try {
        url = new URL(raw);
    }
    catch {
        fail(`${name} must be an absolute http(s) URL such as "https://app.example.com" (got ${JSON.stringify(raw)}).`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:")
        fail(`${name} must use http or https (got ${url.protocol}).`);
    return url;
}
/**
 * Checks the options once, at `authRouter()` time, and fills in defaults. Misconfiguration
 * throws a `TypeError` that says how to fix it.
 */
export function resolveOptions(input) {
    const o = plainObject(input, "options");
    for (const key of Object.keys(o)) {
        if (key in MOVED)
            fail(`${key} moved to ${MOVED[key]} in 0.2 (see CHANGELOG.md).`);
        if (!OPTION_NAMES.has(key))
            fail(`${key} is not an option of authRouter(); see the README's Options table.`);
    }
    const secrets = typeof o.secret === "string" ? [o.secret] : o.secret;
    if (!Array.isArray(secrets) || secrets.length === 0) {
        fail('secret is required: pass at least 32 random bytes, e.g. secret: process.env.AUTH_SECRET (generate one with `openssl rand -base64 48`).');
    }
    for (const s of secrets) {
        if (typeof s !== "string")
            fail("secret must be a string or an array of strings.");
        if (Buffer.byteLength(s) < 32) {
            fail(`secret must be at least 32 bytes long (got ${Buffer.byteLength(s)}); generate one with \`openssl rand -base64 48\`.`);
        }
    }
    if (typeof o.appUrl !== "string")
        fail('appUrl is required: the public URL of your app, e.g. appUrl: "https://app.example.com".');
    const appUrl = origin(o.appUrl, "appUrl");
    const mode = o.mode ?? "session";
    if (mode !== "session" && mode !== "jwt")
        fail(`mode must be "session" or "jwt" (got ${JSON.stringify(mode)}).`);
    const mail = resolveMail(o, appUrl);
    const common = {
        secrets,
        appUrl,
        storage: resolveStorage(o),
        http: resolveHttp(plainObject(o.http, "http"), appUrl),
        signInOnRegister: bool(o.signInOnRegister, "signInOnRegister", false),
        preventEnumeration: bool(o.preventEnumeration, "preventEnumeration", false),
        password: resolvePassword(plainObject(o.password, "password")),
        hashing: resolveHashing(plainObject(o.hashing, "hashing")),
        serializeUser: fnOrUndefined(o.serializeUser, "serializeUser must be a function."),
        ...mail,
        requireVerifiedEmail: bool(o.requireVerifiedEmail, "requireVerifiedEmail", false),
        mfa: resolveMfa(plainObject(o.mfa, "mfa"), mail.mail.appName),
        hooks: resolveHooks(o.hooks),
        rateLimits: limits(o.rateLimits),
        now: fnOrUndefined(o.now, "now must be a function returning milliseconds.") ?? Date.now,
        logger: resolveLogger(o.logger),
    };
    if (common.preventEnumeration && common.signInOnRegister) {
        fail("preventEnumeration and signInOnRegister cannot be combined: signing in on register would tell a new address from a taken one. Drop signInOnRegister (the user signs in after verifying) or preventEnumeration.");
    }
    // Only the active mode's group is resolved (and checked): the other one is not read.
    if (mode === "jwt")
        return { ...common, mode, jwt: resolveJwt(plainObject(o.jwt, "jwt"), secrets, appUrl) };
    return { ...common, mode, session: resolveSession(plainObject(o.session, "session"), appUrl) };
}
function fnOrUndefined(value, message) {
    if (value !== undefined && typeof value !== "function")
        fail(message);
    return value;
}
function resolveStorage(o) {
    const st = plainObject(o.storage, "storage");
    if (st.sessionIndex !== undefined)
        fail("storage.sessionIndex was removed: sessions and their index live in Redis in their user's slot, checked against the user's credential record in one step (README, Security).");
    const inMemory = bool(st.inMemory, "storage.inMemory", false);
    const timeoutMs = positiveInt(st.timeoutMs, "storage.timeoutMs", 1500);
    const custom = {};
    for (const [name, methods] of [
        ["users", ["create", "findById", "findByEmail", "update", "changeEmail", "delete"]],
        ["tokens", ["put", "find", "consume", "revoke"]],
    ]) {
        const store = st[name];
        if (store === undefined)
            continue;
        const missing = methods.filter((m) => typeof store?.[m] !== "function");
        if (missing.length)
            fail(`storage.${name} must implement ${missing.join(", ")}.`);
        custom[name] = store;
    }
    if (inMemory)
        return { backend: { kind: "memory" }, timeoutMs, custom };
    if (typeof o.redis !== "object" || o.redis === null || typeof o.redis.get !== "function") {
        fail("redis is required: pass an ioredis client, e.g. redis: new Redis(process.env.REDIS_URL, { enableOfflineQueue: false }) (or storage: { inMemory: true } for a demo).");
    }
    const keyPrefix = st.keyPrefix ?? "gh:";
    if (typeof keyPrefix !== "string" || keyPrefix.length === 0 || /[{}]/.test(keyPrefix)) {
        fail('storage.keyPrefix must be a non-empty string without "{" or "}" (Gatehouse places its own Cluster hash tags), such as "gh:".');
    }
    return { backend: { kind: "redis", client: o.redis, keyPrefix }, timeoutMs, custom };
}
function resolveHttp(h, appUrl) {
    const allowedOrigins = new Set([appUrl.origin]);
    if (h.trustedOrigins !== undefined) {
        if (!Array.isArray(h.trustedOrigins))
            fail("http.trustedOrigins must be an array of origins.");
        for (const t of h.trustedOrigins) {
            if (typeof t !== "string")
                fail("http.trustedOrigins must contain strings.");
            allowedOrigins.add(origin(t, "http.trustedOrigins[]").origin);
        }
    }
    return {
        bodyLimit: positiveInt(h.bodyLimit, "http.bodyLimit", 16384),
        allowedOrigins,
        openapi: bool(h.openapi, "http.openapi", process.env.NODE_ENV !== "production"),
    };
}
function resolvePassword(pw) {
    const minLength = positiveInt(pw.minLength, "password.minLength", 8);
    const maxLength = positiveInt(pw.maxLength, "password.maxLength", 128);
    if (maxLength < minLength)
        fail("password.maxLength must be >= password.minLength.");
    if (maxLength > 1024)
        fail("password.maxLength must be at most 1024 (long inputs make hashing a denial-of-service vector).");
    const list = pw.commonPasswords;
    if (list === false)
        return { minLength, maxLength, common: new Set() };
    if (list === undefined)
        return { minLength, maxLength, common: COMMON_PASSWORDS };
    if (typeof list?.[Symbol.iterator] !== "function")
        fail("password.commonPasswords must be an iterable of strings or false.");
    const common = new Set();
    for (const p of list) {
        if (typeof p !== "string")
            fail("password.commonPasswords must contain strings.");
        common.add(p.toLowerCase());
    }
    return { minLength, maxLength, common };
}
function resolveHashing(h) {
    const a2 = plainObject(h.argon2, "hashing.argon2");
    const custom = h.hasher;
    if (custom !== undefined) {
        const missing = HASHER_METHODS.filter((m) => typeof custom?.[m] !== "function");
        if (missing.length || typeof custom.name !== "string") {
            fail(`hashing.hasher must implement PasswordHasher (name, ${HASHER_METHODS.join(", ")}); it lacks ${[...(typeof custom?.name === "string" ? [] : ["name"]), ...missing].join(", ")}.`);
        }
    }
    const legacy = h.legacy ?? [];
    if (!Array.isArray(legacy) || !legacy.every((l) => typeof l === "object" && l !== null && typeof l.verify === "function" && typeof l.recognizes === "function")) {
        fail("hashing.legacy must be an array of PasswordHasher, e.g. [djangoPbkdf2(), betterAuthScrypt()].");
    }
    return {
        custom,
        legacy: [...legacy],
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
function resolveSession(s, appUrl) {
    const secure = bool(s.secure, "session.secure", appUrl.protocol === "https:");
    const sameSite = s.sameSite ?? "lax";
    if (sameSite !== "lax" && sameSite !== "strict")
        fail('session.sameSite must be "lax" or "strict".');
    const cookieName = s.cookieName ?? (secure ? "__Host-gh.sid" : "gh.sid");
    if (typeof cookieName !== "string" || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName))
        fail("session.cookieName must be a valid cookie name.");
    if (cookieName.startsWith("__Host-") && !secure)
        fail('session.cookieName may start with "__Host-" only when cookies are Secure.');
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
function resolveMail(o, appUrl) {
    const mail = plainObject(o.mail, "mail");
    const appName = mail.appName ?? appUrl.hostname;
    if (typeof appName !== "string")
        fail("mail.appName must be a string.");
    const from = mail.from ?? `"${appName.replace(/["\\\r\n]/g, "")}" <no-reply@${appUrl.hostname}>`;
    if (typeof from !== "string" || /[\r\n]/.test(from))
        fail('mail.from must be a single-line string such as "App <no-reply@example.com>".');
    let mailer;
    if (o.mailer !== undefined) {
        const m = o.mailer;
        if (typeof m?.send === "function")
            mailer = m;
        else if (typeof m?.sendMail === "function") {
            const transport = m;
            mailer = { send: async (msg) => void (await transport.sendMail({ from, ...msg })) };
        }
        else
            fail("mailer must be a nodemailer transport (nodemailer.createTransport(...)) or an object with send(message).");
    }
    const templates = { ...DEFAULT_TEMPLATES, ...plainObject(mail.templates, "mail.templates") };
    for (const [name, t] of Object.entries(templates)) {
        if (!(name in DEFAULT_TEMPLATES))
            fail(`mail.templates.${name} is not a template; use one of ${Object.keys(DEFAULT_TEMPLATES).join(", ")}.`);
        if (typeof t !== "function")
            fail(`mail.templates.${name} must be a function returning { subject, text, html }.`);
    }
    const pages = { ...DEFAULT_PAGES, ...plainObject(mail.pages, "mail.pages") };
    for (const [name, t] of Object.entries(pages)) {
        if (!(name in DEFAULT_PAGES))
            fail(`mail.pages.${name} is not a page; use one of ${Object.keys(DEFAULT_PAGES).join(", ")}.`);
        if (typeof t !== "function")
            fail(`mail.pages.${name} must be a function returning { title, message, button?, back? }.`);
    }
    const locale = fnOrUndefined(mail.locale, "mail.locale must be a function (user) => locale.");
    const links = plainObject(mail.links, "mail.links");
    for (const [name, l] of Object.entries(links)) {
        if (!["verifyEmail", "resetPassword", "confirmEmailChange"].includes(name))
            fail(`mail.links.${name} is not a link; use verifyEmail, resetPassword or confirmEmailChange.`);
        if (typeof l !== "function")
            fail(`mail.links.${name} must be a function (token) => url.`);
    }
    let verifiedRedirect;
    if (mail.verifiedRedirect !== undefined) {
        if (typeof mail.verifiedRedirect !== "string")
            fail("mail.verifiedRedirect must be a URL or a path.");
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
function resolveMfa(m, appName) {
    for (const key of Object.keys(m)) {
        if (!["issuer", "required", "stepUpWindow", "challengeTtl", "maxAttempts"].includes(key))
            fail(`mfa.${key} is not an option; use issuer, required, stepUpWindow, challengeTtl or maxAttempts.`);
    }
    const issuer = m.issuer ?? appName;
    // The issuer is the label's prefix in otpauth:// URIs, where ":" separates it from the account.
    if (typeof issuer !== "string" || issuer.length === 0 || issuer.length > 64 || issuer.includes(":"))
        fail("mfa.issuer must be a string of 1 to 64 characters without \":\" (your app's name).");
    const required = m.required ?? false;
    if (typeof required !== "boolean" && typeof required !== "function")
        fail("mfa.required must be true, false, or a function (user) => boolean.");
    const stepUpWindow = positiveInt(m.stepUpWindow, "mfa.stepUpWindow", 600);
    const challengeTtl = positiveInt(m.challengeTtl, "mfa.challengeTtl", 300);
    if (challengeTtl > 900)
        fail("mfa.challengeTtl must be at most 900 seconds (the pending step is meant to be short-lived).");
    const maxAttempts = positiveInt(m.maxAttempts, "mfa.maxAttempts", 5);
    if (maxAttempts > 10)
        fail("mfa.maxAttempts must be at most 10.");
    return {
        issuer,
        required: typeof required === "boolean" ? () => required : (user) => required(user) === true,
        enforced: required !== false,
        stepUpWindow,
        challengeTtl,
        maxAttempts,
    };
}
function resolveHooks(raw) {
    const hooks = plainObject(raw, "hooks");
    for (const [name, h] of Object.entries(hooks)) {
        if (!HOOK_NAMES.includes(name))
            fail(`hooks.${name} is not a hook; use one of ${HOOK_NAMES.join(", ")}.`);
        if (typeof h !== "function")
            fail(`hooks.${name} must be a function.`);
    }
    return hooks;
}
function resolveLogger(raw) {
    const logger = raw ?? console;
    if (typeof logger?.warn !== "function" || typeof logger.error !== "function")
        fail("logger must have warn() and error().");
    return logger;
}
/** JWT keys and lifetimes. HS256 keys are derived from each secret (a key per purpose, not the cookie secret itself). */
function resolveJwt(j, secrets, appUrl) {
    const algorithm = j.algorithm ?? "HS256";
    if (algorithm !== "HS256" && algorithm !== "RS256" && algorithm !== "EdDSA")
        fail('jwt.algorithm must be "HS256", "RS256" or "EdDSA".');
    let keys;
    if (algorithm === "HS256") {
        if (j.keys !== undefined)
            fail("jwt.keys is for RS256 and EdDSA; HS256 derives its keys from `secret` (rotate the secret array instead).");
        keys = secrets.map((secret) => {
            const key = hs256VerificationKey(secret);
            return { kid: `hs-${createHmac("sha256", key).update("kid").digest("base64url").slice(0, 10)}`, signKey: key, verifyKey: key };
        });
    }
    else {
        if (!Array.isArray(j.keys) || j.keys.length === 0)
            fail(`jwt.keys is required for ${algorithm}: [{ kid, privateKey, publicKey }] (PEM strings or KeyObjects).`);
        const expected = algorithm === "RS256" ? "rsa" : "ed25519";
        keys = j.keys.map((k, i) => {
            if (typeof k?.kid !== "string" || k.kid.length === 0 || k.kid.length > 64)
                fail(`jwt.keys[${i}].kid must be a string of 1 to 64 characters.`);
            const load = (raw, isPrivate) => {
                try {
                    if (typeof raw === "object" && raw !== null && "asymmetricKeyType" in raw)
                        return raw;
                    return isPrivate ? createPrivateKey(raw) : createPublicKey(raw);
                }
                catch {
                    fail(`jwt.keys[${i}].${isPrivate ? "privateKey" : "publicKey"} is not a valid PEM key or KeyObject.`);
                }
            };
            const verifyKey = load(k.publicKey, false);
            const signKey = k.privateKey === undefined ? undefined : load(k.privateKey, true);
            for (const key of [verifyKey, signKey]) {
                if (key && key.asymmetricKeyType !== expected)
                    fail(`jwt.keys[${i}] is a ${key.asymmetricKeyType} key; ${algorithm} needs ${expected} keys.`);
            }
            return { kid: k.kid, signKey, verifyKey };
        });
        if (new Set(keys.map((k) => k.kid)).size !== keys.length)
            fail("jwt.keys must have distinct kids.");
    }
    const signing = keys.find((k) => k.signKey);
    if (!signing)
        fail("jwt.keys needs at least one key with a privateKey to sign with.");
    const issuer = j.issuer ?? appUrl.origin;
    const audience = j.audience ?? appUrl.origin;
    if (typeof issuer !== "string" || typeof audience !== "string")
        fail("jwt.issuer and jwt.audience must be strings.");
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
function limits(raw) {
    if (raw === false)
        return false;
    try {
        return resolveLimits(plainObject(raw, "rateLimits"));
    }
    catch (err) {
        fail(`rateLimits: ${err.message}`);
    }
}
