import { randomBytes } from "node:crypto";
import { AuthError } from "../errors.js";
import { lua, RedisCalls } from "./redis-call.js";
import { resolveRedisOptions } from "./redis-keys.js";
import { copyAttributes, mergeAttributes, newUserRecord } from "./user-store-attributes.js";
/**
 * A {@link UserStore} on Redis or Redis Cluster.
 *
 * Key layout (`P` is `keyPrefix`; every key of every adapter is listed in redis-keys.ts):
 * - `P{u:<id>}:user`: the user, a HASH with fields `id`, `email`, `name` (absent when null),
 *   `emailVerified` (`"1"`/`"0"`), `passwordHash`, `createdAt`, `updatedAt` (decimal ms), and one
 *   field `a:<key>` per attribute holding its value as JSON (records written before attributes
 *   existed have none and read as `{}`). One field per attribute lets `update` set and remove
 *   keys in its script without parsing JSON in Lua.
 * - `P{e:<sha256hex(email)>}:email`: the email index, a STRING holding the owner's id. The email
 *   is hashed so the key has a bounded length and no braces.
 * - `P{u:<id>}:claim:<sha256hex(email)>`: a short-lived lease (expires by itself) held while a
 *   `changeEmail` of the user to that email is in flight.
 *
 * Every script and transaction touches keys of one hash tag only, so each command goes to one
 * slot; the user and the email index live in different slots and are never written together.
 * Instead the writes are ordered so that an interrupted operation leaves at worst a *stale*
 * index entry (its owner is gone, owns another email and holds no lease for this one), which
 * the next claim on that email detects and removes with a compare-and-delete.
 * - `create` writes the user before claiming the email (`SET NX`), so a live claim always has
 *   its user record.
 * - `changeEmail` takes the lease before claiming the new email and updates the user only while
 *   the lease is held, so a claim in flight is never mistaken for a stale one.
 *
 * @example
 * ```ts
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false });
 * const auth = authRouter({ redis, storage: { users: new RedisUserStore(redis, { keyPrefix: "app:" }) }, secret, appUrl });
 * ```
 */
export class RedisUserStore {
    redis;
    keys;
    calls;
    leaseMs;
    /**
     * @throws TypeError on an invalid `keyPrefix` or `timeoutMs` (see {@link RedisAdapterOptions}).
     */
    constructor(redis, options = {}) {
        const { keys, timeoutMs } = resolveRedisOptions("RedisUserStore", options);
        this.redis = redis;
        this.keys = keys;
        this.calls = new RedisCalls(redis, timeoutMs);
        // Far longer than a changeEmail can take while its Redis calls still meet their deadlines.
        this.leaseMs = Math.max(30_000, 20 * timeoutMs);
    }
    async create(user) {
        const record = newUserRecord(user);
        const userKey = this.userKey(record.id);
        // The record goes first: an index entry then always points to a record that exists (or
        // existed), which is what tells a stale entry from a live one. It is written with a short
        // TTL and made permanent only once the email is claimed, so a registration cut off by an
        // outage leaves nothing behind for long (a claim whose record expired is stale, and repaired).
        await this.calls.multi("user record write", (tx) => tx.hset(userKey, encode(record)).pexpire(userKey, this.leaseMs));
        let claimed;
        try {
            claimed = await this.claimEmail(record.email, record.id);
        }
        catch (err) {
            await this.call(this.redis.del(userKey)).catch(() => { });
            throw err;
        }
        if (!claimed) {
            await this.call(this.redis.del(userKey));
            return null;
        }
        // Read the claim back before the record becomes permanent. This also makes a free address
        // cost the round trips of a taken one (claim, a check, a write), for preventEnumeration.
        if ((await this.call(this.redis.get(this.emailKey(record.email)))) !== record.id) {
            await this.call(this.redis.del(userKey));
            return null;
        }
        await this.call(this.redis.persist(userKey));
        return { ...record, attributes: copyAttributes(record.attributes) };
    }
    async findById(id) {
        return decode(await this.call(this.redis.hgetall(this.userKey(id))));
    }
    async findByEmail(email) {
        const id = await this.call(this.redis.get(this.emailKey(email)));
        // Two round trips whether or not the address has an account: an unknown address reads a
        // record nobody has, so the timing of forgot-password (and of anything else) says nothing.
        const user = await this.findById(id ?? UNKNOWN_ID);
        if (id === null)
            return null;
        // A stale entry (or a change in flight) can point to a user that does not own the email.
        return user !== null && user.email === email ? user : null;
    }
    async update(id, patch) {
        const fields = ["updatedAt", String(patch.updatedAt)];
        const removed = [];
        if (typeof patch.name === "string")
            fields.push("name", patch.name);
        if (patch.name === null)
            removed.push("name");
        if (patch.emailVerified !== undefined)
            fields.push("emailVerified", patch.emailVerified ? "1" : "0");
        if (patch.passwordHash !== undefined)
            fields.push("passwordHash", patch.passwordHash);
        // Validated (and copied) before the round trip: a bad value throws with nothing written.
        const changes = patch.attributes === undefined ? [] : Object.keys(patch.attributes);
        const merged = mergeAttributes({}, patch.attributes);
        for (const key of changes) {
            if (Object.hasOwn(merged, key))
                fields.push(ATTRIBUTE + key, encodeAttribute(merged[key]));
            else
                removed.push(ATTRIBUTE + key);
        }
        const reply = await this.script(UPDATE, [this.userKey(id)], [removed.length, ...removed, ...fields]);
        return reply === null ? null : decode(pairs(reply));
    }
    async changeEmail(id, email, updatedAt) {
        const userKey = this.userKey(id);
        const leaseKey = this.leaseKey(id, email);
        const token = randomBytes(12).toString("base64url");
        const begun = await this.script(BEGIN_CHANGE, [userKey, leaseKey], [email, token, this.leaseMs]);
        if (begun === 0)
            return null;
        if (begun === 1)
            return this.findById(id);
        let claimed;
        try {
            claimed = await this.claimEmail(email, id);
        }
        catch (err) {
            await this.compareAndDelete(leaseKey, token).catch(() => { });
            throw err;
        }
        if (!claimed) {
            // The answer is settled; a lease left behind only expires.
            await this.compareAndDelete(leaseKey, token).catch(() => { });
            return "email_taken";
        }
        const reply = await this.script(FINISH_CHANGE, [userKey, leaseKey], [email, String(updatedAt), token]);
        if (reply === null || reply === 0) {
            // The user is gone (null), or the lease ran out (0) and another claim may since have
            // judged ours stale: either way the new email must not stay claimed by this id.
            await this.compareAndDelete(this.emailKey(email), id);
            if (reply === null)
                return null;
            const cause = new Error("RedisUserStore: the email change outlived its lease");
            throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1, cause });
        }
        const [oldEmail, ...rest] = asStrings(reply);
        if (oldEmail !== undefined && oldEmail !== email)
            await this.releaseEmail(oldEmail, id);
        return decode(pairs(rest));
    }
    async delete(id) {
        const user = await this.findById(id);
        if (user === null)
            return false;
        // The record goes first: should the index cleanup fail, the entry left behind points to a
        // missing user and is stale, whereas the other order could strand a live user without one.
        const removed = await this.call(this.redis.del(this.userKey(id)));
        if (removed === 0)
            return false;
        await this.releaseEmail(user.email, id);
        return true;
    }
    /**
     * Makes the email index entry point to `id`. True when it does (also when it already did);
     * false when another user owns the email. Repairs a stale entry once.
     */
    async claimEmail(email, id) {
        const key = this.emailKey(email);
        // One round trip: claimed, or who holds it.
        const owner = (await this.script(CLAIM, [key], [id]));
        if (owner === null || owner === id)
            return true;
        if (owner !== null) {
            if (!(await this.isStale(owner, email)))
                return false;
            await this.compareAndDelete(key, owner);
        }
        if (await this.setNx(key, id))
            return true;
        return (await this.call(this.redis.get(key))) === id;
    }
    /** True when the index entry `email -> owner` is a leftover: see the class comment. */
    async isStale(owner, email) {
        return (await this.script(IS_STALE, [this.userKey(owner), this.leaseKey(owner, email)], [email])) === 1;
    }
    /**
     * Removes the index entry of `email` if it still points to `id`. Best effort: an entry left
     * behind by a failure here is stale and the next claim on the email removes it, while the
     * operation that called this has already taken effect and must not be reported as failed.
     */
    async releaseEmail(email, id) {
        await this.compareAndDelete(this.emailKey(email), id).catch(() => { });
    }
    async setNx(key, value) {
        return (await this.call(this.redis.set(key, value, "NX"))) === "OK";
    }
    async compareAndDelete(key, expected) {
        await this.script(COMPARE_AND_DELETE, [key], [expected]);
    }
    call(op) {
        return this.calls.call(op);
    }
    script(script, keys, args) {
        return this.calls.script(script, keys, args);
    }
    userKey(id) {
        return this.keys.user(id);
    }
    emailKey(email) {
        return this.keys.email(email);
    }
    leaseKey(id, email) {
        return this.keys.emailClaim(id, email);
    }
}
/** KEYS[1] = a key, ARGV[1] = the value it must hold to be deleted. */
/** KEYS[1] = email index; ARGV[1] = id. Claims a free entry (nil) or answers its holder. */
const CLAIM = lua(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return false end
return redis.call('GET', KEYS[1])`);
/** An id no user has (ids are 22 base64url characters): the read an unknown address costs. */
const UNKNOWN_ID = "-unknown-";
const COMPARE_AND_DELETE = lua(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);
/** KEYS[1] = user; ARGV[1] = n, ARGV[2..n+1] = fields to remove; ARGV[n+2..] = field, value pairs. */
const UPDATE = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local n = tonumber(ARGV[1])
if n > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 2, n + 1)) end
redis.call('HSET', KEYS[1], unpack(ARGV, n + 2))
return redis.call('HGETALL', KEYS[1])`);
/**
 * KEYS[1] = user, KEYS[2] = lease; ARGV = email, token, lease ms.
 * 0: no such user; 1: the user already has this email; 2: lease taken.
 */
const BEGIN_CHANGE = lua(`
local email = redis.call('HGET', KEYS[1], 'email')
if not email then return 0 end
if email == ARGV[1] then return 1 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 2`);
/**
 * KEYS[1] = user, KEYS[2] = lease; ARGV = email, updatedAt, token.
 * nil: no such user; 0: the lease is gone; else { old email, HGETALL... }.
 */
const FINISH_CHANGE = lua(`
local held = redis.call('GET', KEYS[2]) == ARGV[3]
if held then redis.call('DEL', KEYS[2]) end
local old = redis.call('HGET', KEYS[1], 'email')
if not old then return false end
if not held then return 0 end
redis.call('HSET', KEYS[1], 'email', ARGV[1], 'updatedAt', ARGV[2])
local reply = redis.call('HGETALL', KEYS[1])
table.insert(reply, 1, old)
return reply`);
/** KEYS[1] = the owner's user, KEYS[2] = the owner's lease on the email; ARGV[1] = email. */
const IS_STALE = lua(`
if redis.call('HGET', KEYS[1], 'email') == ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
return 1`);
function encode(user) {
    const fields = {
        id: user.id,
        email: user.email,
        emailVerified: user.emailVerified ? "1" : "0",
        passwordHash: user.passwordHash,
        createdAt: String(user.createdAt),
        updatedAt: String(user.updatedAt),
    };
    if (user.name !== null)
        fields.name = user.name;
    for (const [key, value] of Object.entries(user.attributes))
        fields[ATTRIBUTE + key] = encodeAttribute(value);
    return fields;
}
/** The hash field prefix of an attribute. */
const ATTRIBUTE = "a:";
function encodeAttribute(value) {
    return JSON.stringify(value);
}
function decode(fields) {
    const { id, email, name, emailVerified, passwordHash, createdAt, updatedAt } = fields;
    if (id === undefined)
        return null;
    if (email === undefined ||
        passwordHash === undefined ||
        (emailVerified !== "1" && emailVerified !== "0") ||
        createdAt === undefined ||
        updatedAt === undefined) {
        throw new Error(`RedisUserStore: the record of user ${id} is malformed`);
    }
    const attributes = {};
    for (const [field, value] of Object.entries(fields)) {
        if (!field.startsWith(ATTRIBUTE))
            continue;
        let parsed;
        try {
            parsed = JSON.parse(value);
        }
        catch {
            throw new Error(`RedisUserStore: attribute ${field} of user ${id} is not JSON`);
        }
        // defineProperty: a key named "__proto__" is data, never the object's prototype.
        Object.defineProperty(attributes, field.slice(ATTRIBUTE.length), { value: parsed, enumerable: true, writable: true, configurable: true });
    }
    return {
        id,
        email,
        name: name ?? null,
        emailVerified: emailVerified === "1",
        passwordHash,
        createdAt: Number(createdAt),
        updatedAt: Number(updatedAt),
        attributes,
    };
}
function asStrings(reply) {
    if (!Array.isArray(reply) || !reply.every((item) => typeof item === "string")) {
        throw new Error("RedisUserStore: unexpected script reply");
    }
    return reply;
}
/** A flat HGETALL reply (`[field, value, ...]`) as an object. */
function pairs(reply) {
    const flat = asStrings(reply);
    const fields = {};
    for (let i = 0; i + 1 < flat.length; i += 2)
        fields[flat[i]] = flat[i + 1];
    return fields;
}
