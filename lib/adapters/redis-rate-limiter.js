import { RateLimiterRedis } from "rate-limiter-flexible";
import { blockedState, FlexibleRateLimiter, hashKey, readable, seconds } from "./flexible-rate-limiter.js";
import { lua, RedisCalls } from "./redis-call.js";
import { resolveRedisOptions } from "./redis-keys.js";
/**
 * The hits of one attempt on several counters, all or none, in one step. KEYS: the counters;
 * ARGV: four per key, `cost, duration, points, blockDuration` (seconds). Each counter is
 * rate-limiter-flexible's STRING (so `hit`, `check`, `refund` and `clear` read the same keys):
 * a hit is `SET 0 EX duration NX` + `INCRBY` + `PTTL`, and the hit that first goes past
 * `points` re-sets the count with `EX blockDuration` when there is one. When any counter
 * refuses, only the refusing ones count the hit. Replies `{consumed, pttl}` per key.
 * A count that is not a number is an error (fail closed).
 */
const HIT_ALL = lua(`
local n = #KEYS
local counts = {}
local refused = false
for i = 1, n do
  local raw = redis.call('GET', KEYS[i])
  local c = 0
  if raw then
    c = tonumber(raw)
    if not c then return redis.error_reply('unreadable rate-limit count') end
  end
  counts[i] = c
  if c + tonumber(ARGV[(i - 1) * 4 + 1]) > tonumber(ARGV[(i - 1) * 4 + 3]) then refused = true end
end
local out = {}
for i = 1, n do
  local b = (i - 1) * 4
  local cost, duration, points, block = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  if (not refused) or counts[i] + cost > points then
    redis.call('SET', KEYS[i], 0, 'EX', duration, 'NX')
    local consumed = redis.call('INCRBY', KEYS[i], cost)
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl == -1 then
      redis.call('EXPIRE', KEYS[i], duration)
      ttl = 1000 * duration
    end
    if block > 0 and consumed > points and consumed <= points + cost then
      redis.call('SET', KEYS[i], consumed, 'EX', block)
      ttl = 1000 * block
    end
    out[i] = {consumed, ttl}
  else
    out[i] = {counts[i], redis.call('PTTL', KEYS[i])}
  end
end
return out`);
/**
 * Hands points back on several counters, or clears them, in one step. KEYS: the counters; ARGV:
 * two per key, `cost, duration` (seconds), `cost` = "clear" to delete the count. A refund is
 * rate-limiter-flexible's reward: `SET 0 EX duration NX` + `INCRBY -cost`.
 */
const REFUND_ALL = lua(`
for i = 1, #KEYS do
  local cost, duration = ARGV[(i - 1) * 2 + 1], ARGV[(i - 1) * 2 + 2]
  if cost == 'clear' then
    redis.call('DEL', KEYS[i])
  else
    redis.call('SET', KEYS[i], 0, 'EX', duration, 'NX')
    redis.call('INCRBY', KEYS[i], -tonumber(cost))
  end
end
return #KEYS`);
/**
 * Takes back a hit counted for an attempt that another counter refused (`hitAll` on a Cluster,
 * after a race). KEYS: the counter; ARGV: the points. A count back at zero is deleted, so the
 * refused attempt leaves no key; a key that expired meanwhile is left alone (never a count
 * without expiry).
 */
const UNDO = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local c = redis.call('DECRBY', KEYS[1], tonumber(ARGV[1]))
if c <= 0 then redis.call('DEL', KEYS[1]) end
return c`);
/**
 * Rate limits in Redis, shared by every instance of the app, on rate-limiter-flexible's
 * `RateLimiterRedis`. One STRING per counter and key, `<prefix>rl:<name>:<sha256(key)>`
 * (redis-keys.ts), that expires with its window or block. A hit is one Lua script (SET NX EX +
 * INCRBY + PTTL) on that one key, so it is atomic and works on a Cluster without hash tags;
 * every other command touches one key too. `hitAll` and `refundAll` (a login's three buckets)
 * are one script each over their keys on a single Redis. On a Cluster, where the keys sit in
 * different slots, `hitAll` checks every key, then hits only the refusing ones when any refuses
 * (a refused attempt creates no key in the others), else every key; when a racing attempt took
 * the last point in between, the hits it made are taken back ({@link UNDO}). `refundAll` is one
 * refund per key.
 *
 * Fails closed: every call runs under the per-call deadline, so a stopped or paused Redis rejects with
 * `AuthError("SERVICE_UNAVAILABLE")` within `timeoutMs`. Deliberately not used from
 * rate-limiter-flexible: `insuranceLimiter` (would fall back to per-process counts during an
 * outage, i.e. fail open across instances), `inMemoryBlockOnConsumed` (a per-process block that
 * `clear` on one instance cannot lift on the others) and `rejectIfRedisNotReady` (never sends a
 * command on a `lazyConnect` client that has not connected yet; the deadline bounds waiting).
 */
export class RedisRateLimiter extends FlexibleRateLimiter {
    redis;
    keys;
    calls;
    /**
     * @param redis - A standalone ioredis client or a Cluster; the recommended options fail fast
     *   while Redis is away (`enableOfflineQueue: false`).
     * @param options - `keyPrefix` and `timeoutMs`, see {@link RedisAdapterOptions}.
     * @throws TypeError on an invalid option.
     */
    constructor(redis, options = {}) {
        super();
        const { keys, timeoutMs } = resolveRedisOptions("RedisRateLimiter", options);
        this.redis = redis;
        this.keys = keys;
        this.calls = new RedisCalls(redis, timeoutMs);
    }
    async hitAll(hits) {
        if (hits.length === 0)
            return [];
        if (this.redis.isCluster)
            return super.hitAll(hits);
        const keys = hits.map(({ limit, key }) => this.keys.rateLimit(limit.name, hashKey(key)));
        const args = hits.flatMap(({ limit, points = 1 }) => [points, limit.duration, limit.points, limit.blockDuration]);
        const reply = (await this.calls.script(HIT_ALL, keys, args));
        return hits.map(({ limit }, i) => {
            const [consumed, ttl] = reply[i];
            readable(consumed);
            if (consumed > limit.points)
                return blockedState(limit, ttl);
            return { blocked: false, remaining: Math.max(0, limit.points - consumed), retryAfter: consumed > 0 ? seconds(ttl) : 0 };
        });
    }
    async refundAll(refunds) {
        if (refunds.length === 0)
            return;
        if (this.redis.isCluster)
            return super.refundAll(refunds);
        const keys = refunds.map(({ limit, key }) => this.keys.rateLimit(limit.name, hashKey(key)));
        const args = refunds.flatMap(({ limit, points = 1, clear }) => [clear ? "clear" : points, limit.duration]);
        await this.calls.script(REFUND_ALL, keys, args);
    }
    async undo(limit, key, points) {
        await this.calls.script(UNDO, [this.keys.rateLimit(limit.name, hashKey(key))], [points]);
    }
    create(limit) {
        return new RateLimiterRedis({
            storeClient: this.redis,
            keyPrefix: this.keys.rateLimitPrefix(limit.name),
            points: limit.points,
            duration: limit.duration,
            blockDuration: limit.blockDuration,
        });
    }
    guard(op) {
        return this.calls.call(op);
    }
}
