import { lua, RedisCalls } from "./redis-call.js";
import { resolveRedisOptions } from "./redis-keys.js";
/** Removes the token only if its hash matches and it has not expired: atomic, one key. */
const CONSUME = lua(`
local h = redis.call('HGET', KEYS[1], 'hash')
if not h or h ~= ARGV[1] then return nil end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) < tonumber(ARGV[2]) then return nil end
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return all`);
/**
 * Single-use tokens in Redis: one HASH per user and purpose, `<prefix>{u:<userId>}:token:<purpose>`,
 * in the user's slot. Putting a token replaces the user's older one of that purpose; consuming is
 * a Lua script on that one key, so it is atomic and works on a Cluster. Only the token's SHA-256
 * is stored; the key expires with the token.
 *
 * @example
 * ```ts
 * // The default in Redis mode; build one yourself to share it with another service.
 * authRouter({ redis, secret, appUrl, storage: { tokens: new RedisTokenStore(redis, { keyPrefix: "gh:" }) } });
 * ```
 */
export class RedisTokenStore {
    keys;
    calls;
    /**
     * @param redis - A standalone ioredis client or a Cluster.
     * @param options - `keyPrefix` and `timeoutMs`, see {@link RedisAdapterOptions}.
     * @throws TypeError on an invalid option.
     */
    constructor(redis, options = {}) {
        const { keys, timeoutMs } = resolveRedisOptions("RedisTokenStore", options);
        this.keys = keys;
        this.calls = new RedisCalls(redis, timeoutMs);
    }
    key(userId, purpose) {
        return this.keys.token(userId, purpose);
    }
    async put(record, ttlSeconds) {
        const key = this.key(record.userId, record.purpose);
        const fields = { ...record, expiresAt: String(record.expiresAt) };
        await this.calls.multi("token write", (tx) => tx.del(key).hset(key, fields).expire(key, Math.max(1, Math.ceil(ttlSeconds))));
    }
    async find(userId, purpose, hash, now) {
        const raw = await this.calls.call(this.calls.redis.hgetall(this.key(userId, purpose)));
        const record = toRecord(raw);
        return record && record.hash === hash && record.expiresAt >= now ? record : null;
    }
    async consume(userId, purpose, hash, now) {
        const raw = (await this.calls.script(CONSUME, [this.key(userId, purpose)], [hash, String(now)]));
        if (!raw)
            return null;
        const obj = {};
        for (let i = 0; i + 1 < raw.length; i += 2)
            obj[raw[i]] = raw[i + 1];
        return toRecord(obj);
    }
    async revoke(userId, purposes) {
        if (purposes.length === 0)
            return;
        // All keys share the user's hash tag: one multi-key DEL is valid on a Cluster.
        await this.calls.call(this.calls.redis.del(...purposes.map((p) => this.key(userId, p))));
    }
}
function toRecord(raw) {
    if (!raw.hash || !raw.userId || !raw.purpose)
        return null;
    return {
        purpose: raw.purpose,
        userId: raw.userId,
        hash: raw.hash,
        target: raw.target ?? "",
        fingerprint: raw.fingerprint ?? "",
        expiresAt: Number(raw.expiresAt),
    };
}
