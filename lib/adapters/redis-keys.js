import { createHash } from "node:crypto";
import { parseSessionId } from "../ports/session-store.js";
/**
 * Checks and completes the options of a Redis adapter.
 *
 * @param owner - The adapter's name, for the message (`"RedisUserStore"`).
 * @throws TypeError when `keyPrefix` is not a string or holds `{`/`}`, or `timeoutMs` is not a
 *   positive finite number.
 */
export function resolveRedisOptions(owner, options = {}) {
    const { keyPrefix = "gh:", timeoutMs = 1500 } = options;
    if (typeof keyPrefix !== "string" || /[{}]/.test(keyPrefix)) {
        throw new TypeError(`${owner}: keyPrefix must be a string without "{" or "}" (got ${String(keyPrefix)})`);
    }
    if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        throw new TypeError(`${owner}: timeoutMs must be a positive number of milliseconds`);
    }
    return { keys: new RedisKeys(keyPrefix), timeoutMs };
}
/**
 * Every key the Redis adapters write, in one place. `P` is `keyPrefix`. Per-user state carries
 * the user's hash tag `{u:<userId>}`, so on a Cluster all of a user's keys sit in one slot and a
 * script or transaction over several of them is valid. These names are persisted data: changing
 * one strands what is stored under the old name.
 *
 * | key | type | written by | lives |
 * |---|---|---|---|
 * | `P{u:<id>}:user` | HASH: id, email, name?, emailVerified "1"/"0", passwordHash, createdAt, updatedAt | RedisUserStore | until deleted |
 * | `P{e:<sha256hex(email)>}:email` | STRING: the owner's id (the email index; the hash keeps the key short and brace-free) | RedisUserStore | until released |
 * | `P{u:<id>}:claim:<sha256hex(email)>` | STRING: a lease while a change to that email is in flight | RedisUserStore | PX lease |
 * | `P{u:<id>}:cred` | HASH: the credential record (epoch, password fingerprints, the user copy, pending change; see ports/credential-store.ts) | RedisCredentialStore | while the user lives; a deleted user's tombstone expires |
 * | `P{u:<id>}:sess:<rand>` | STRING: `<epoch> <session JSON>`, a signed-in session whose id is `<id>.<rand>` | RedisSessionStore | EX idle/absolute timeout |
 * | `P{u:<id>}:sessions` | ZSET: `<handle>:<rand>` of the user's sessions by the latest moment each may live (ms) | RedisSessionStore | EX absolute timeout, renewed on each sign-in |
 * | `Psess:<sessionId>` | STRING: a session the app itself keeps for a visitor who is not signed in (Gatehouse stores none) | RedisSessionStore | EX idle timeout |
 * | `P{u:<id>}:family:<familyId>` | HASH: a refresh-token family | RedisRefreshStore | EX family lifetime |
 * | `P{u:<id>}:families` | ZSET: the user's family ids by their end (ms) | RedisRefreshStore | EX family lifetime |
 * | `P{u:<id>}:mfa`, `:mfa:recovery`, `:mfa:setup`, `:mfa:pending` | HASH (sealed TOTP secret, last step), SET (recovery code hashes), STRING (secret being enrolled), HASH (pending sign-in steps) | RedisMfaStore | setup and pending expire |
 * | `P{u:<id>}:token:<purpose>` | HASH: the user's one live emailed token of that purpose (SHA-256 only) | RedisTokenStore | EX token lifetime |
 * | `Prl:<limit>:<sha256b64url(key)>` | STRING: a rate-limit count (rate-limiter-flexible's format) | RedisRateLimiter | EX window or block |
 *
 * An app's own anonymous sessions and rate-limit keys carry no hash tag: each command or script on them touches one key
 * (or, for a login's buckets on a single Redis, keys the client never routes), so they spread
 * over the whole Cluster.
 */
export class RedisKeys {
    prefix;
    constructor(prefix) {
        this.prefix = prefix;
    }
    user(userId) {
        return `${this.prefix}{u:${userId}}:user`;
    }
    email(email) {
        return `${this.prefix}{e:${sha256hex(email)}}:email`;
    }
    emailClaim(userId, email) {
        return `${this.prefix}{u:${userId}}:claim:${sha256hex(email)}`;
    }
    credential(userId) {
        return `${this.prefix}{u:${userId}}:cred`;
    }
    /** What a signed-in session's key starts with; the session's random part follows. */
    userSessionBase(userId) {
        return `${this.prefix}{u:${userId}}:sess:`;
    }
    /** The key of a session: in its user's slot when the id is a signed-in one (`<userId>.<rand>`). */
    sessionOf(sessionId) {
        const owned = parseSessionId(sessionId);
        return owned ? this.userSessionBase(owned.userId) + owned.rand : this.session(sessionId);
    }
    sessionIndex(userId) {
        return `${this.prefix}{u:${userId}}:sessions`;
    }
    /** The prefix connect-redis puts before a session id. */
    get sessionPrefix() {
        return `${this.prefix}sess:`;
    }
    session(sessionId) {
        return `${this.sessionPrefix}${sessionId}`;
    }
    family(userId, familyId) {
        return this.familyBase(userId) + familyId;
    }
    /** What a family's key starts with; the family id follows. */
    familyBase(userId) {
        return `${this.prefix}{u:${userId}}:family:`;
    }
    families(userId) {
        return `${this.prefix}{u:${userId}}:families`;
    }
    token(userId, purpose) {
        return `${this.prefix}{u:${userId}}:token:${purpose}`;
    }
    /** The user's second factor: its state, recovery codes, enrollment and pending sign-in steps. */
    mfa(userId) {
        const base = `${this.prefix}{u:${userId}}:mfa`;
        return { state: base, recovery: `${base}:recovery`, setup: `${base}:setup`, pending: `${base}:pending` };
    }
    /** rate-limiter-flexible's `keyPrefix` for one limit: it appends `:<key>` itself. */
    rateLimitPrefix(limitName) {
        return `${this.prefix}rl:${limitName}`;
    }
    /** The count of one limit and (already hashed) key, as rate-limiter-flexible names it. */
    rateLimit(limitName, hashedKey) {
        return `${this.rateLimitPrefix(limitName)}:${hashedKey}`;
    }
}
function sha256hex(text) {
    return createHash("sha256").update(text, "utf8").digest("hex");
}
