import { lua, RedisCalls } from "./redis-call.js";
import { resolveRedisOptions } from "./redis-keys.js";
/**
 * A pending step as a hash field: `{e: expiresAt, a: attemptsLeft, c: client, p: pwd}`. Shared
 * by the scripts below: `live(raw, now)` decodes a field that is still usable, or nil.
 */
const LIVE = `
local function live(raw, now)
  if not raw then return nil end
  local c = cjson.decode(raw)
  if tonumber(c.e) <= now or tonumber(c.a) <= 0 then return nil end
  return c
end
local function fail(key, id, c)
  c.a = tonumber(c.a) - 1
  if c.a <= 0 then redis.call('HDEL', key, id) else redis.call('HSET', key, id, cjson.encode(c)) end
  return {'wrong', c.a}
end
`;
/** KEYS: pending. ARGV: id, json, now, cap, ttlMs. Drops expired steps, then the oldest beyond cap. */
const CREATE_CHALLENGE = lua(`${LIVE}
local now = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
local kept = {}
for i = 1, #all, 2 do
  local c = live(all[i + 1], now)
  if c then table.insert(kept, {all[i], tonumber(c.e)}) else redis.call('HDEL', KEYS[1], all[i]) end
end
table.sort(kept, function(a, b) return a[2] < b[2] end)
local n, i = #kept, 1
while n >= tonumber(ARGV[4]) do
  redis.call('HDEL', KEYS[1], kept[i][1])
  i, n = i + 1, n - 1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`);
/** KEYS: state, pending. ARGV: id, now, step. Consumes the step and marks the time step used, or counts a replay as wrong. */
const COMPLETE_STEP = lua(`${LIVE}
local now = tonumber(ARGV[2])
local c = live(redis.call('HGET', KEYS[2], ARGV[1]), now)
local last = redis.call('HGET', KEYS[1], 'lastStep')
if not c or not last then return {'gone'} end
if tonumber(ARGV[3]) <= tonumber(last) then return fail(KEYS[2], ARGV[1], c) end
redis.call('HSET', KEYS[1], 'lastStep', ARGV[3])
redis.call('HDEL', KEYS[2], ARGV[1])
return {'ok', 0}`);
/** KEYS: state, pending, recovery. ARGV: id, now, hash. */
const COMPLETE_RECOVERY = lua(`${LIVE}
local now = tonumber(ARGV[2])
local c = live(redis.call('HGET', KEYS[2], ARGV[1]), now)
if not c or redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
if redis.call('SREM', KEYS[3], ARGV[3]) == 0 then return fail(KEYS[2], ARGV[1], c) end
redis.call('HDEL', KEYS[2], ARGV[1])
return {'ok', redis.call('SCARD', KEYS[3])}`);
/** KEYS: pending. ARGV: id, now. */
const FAIL_CHALLENGE = lua(`${LIVE}
local c = live(redis.call('HGET', KEYS[1], ARGV[1]), tonumber(ARGV[2]))
if not c then return {'gone'} end
return fail(KEYS[1], ARGV[1], c)`);
/** KEYS: state, setup, recovery. ARGV: sealed, step, now, hashes... Only the secret still being enrolled, only once. */
const ENABLE = lua(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'secret', ARGV[1], 'lastStep', ARGV[2], 'enabledAt', ARGV[3])
redis.call('DEL', KEYS[3], KEYS[2])
for i = 4, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
return 1`);
/** KEYS: state, recovery. ARGV: hashes... */
const REPLACE_RECOVERY = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
for i = 1, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
return 1`);
/** KEYS: state. ARGV: step. */
const USE_STEP = lua(`
local last = redis.call('HGET', KEYS[1], 'lastStep')
if not last or tonumber(ARGV[1]) <= tonumber(last) then return 0 end
redis.call('HSET', KEYS[1], 'lastStep', ARGV[1])
return 1`);
/** KEYS: state, recovery. ARGV: hash. */
const USE_RECOVERY = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return -1 end
return redis.call('SCARD', KEYS[2])`);
/**
 * Second-factor state in Redis. Keys, all in the user's slot (`{u:<userId>}`), so every script
 * may touch several of them on a Cluster:
 * - `<prefix>{u:<id>}:mfa`: a HASH (sealed secret, last used time step, enabledAt);
 * - `<prefix>{u:<id>}:mfa:recovery`: a SET of recovery code hashes;
 * - `<prefix>{u:<id>}:mfa:setup`: the sealed secret being enrolled (expires);
 * - `<prefix>{u:<id>}:mfa:pending`: a HASH of pending sign-in steps by id (expires with the newest).
 */
export class RedisMfaStore {
    schema;
    calls;
    redis;
    /**
     * @param redis - A standalone ioredis client or a Cluster.
     * @param options - `keyPrefix` and `timeoutMs`, see {@link RedisAdapterOptions}.
     * @throws TypeError on an invalid option.
     */
    constructor(redis, options = {}) {
        const { keys, timeoutMs } = resolveRedisOptions("RedisMfaStore", options);
        this.schema = keys;
        this.redis = redis;
        this.calls = new RedisCalls(redis, timeoutMs);
    }
    keys(userId) {
        return this.schema.mfa(userId);
    }
    call(op) {
        return this.calls.call(op);
    }
    async enabled(userId) {
        return (await this.call(this.redis.exists(this.keys(userId).state))) === 1;
    }
    async get(userId) {
        const k = this.keys(userId);
        const [state, left] = await this.call(Promise.all([this.redis.hgetall(k.state), this.redis.scard(k.recovery)]));
        if (!state.secret)
            return null;
        return { sealedSecret: state.secret, enabledAt: Number(state.enabledAt), lastStep: Number(state.lastStep), recoveryCodesLeft: left };
    }
    async putSetup(userId, sealedSecret, ttlSeconds) {
        await this.call(this.redis.set(this.keys(userId).setup, sealedSecret, "EX", Math.max(1, Math.ceil(ttlSeconds))));
    }
    getSetup(userId) {
        return this.call(this.redis.get(this.keys(userId).setup));
    }
    async enable(userId, sealedSecret, step, recoveryHashes, now) {
        const k = this.keys(userId);
        const r = await this.calls.script(ENABLE, [k.state, k.setup, k.recovery], [sealedSecret, String(step), String(now), ...recoveryHashes]);
        return r === 1;
    }
    async disable(userId) {
        const k = this.keys(userId);
        // One multi-key DEL (same slot): the factor and its codes end together.
        await this.call(this.redis.del(k.state, k.recovery, k.setup, k.pending));
    }
    async replaceRecoveryCodes(userId, hashes) {
        const k = this.keys(userId);
        return (await this.calls.script(REPLACE_RECOVERY, [k.state, k.recovery], [...hashes])) === 1;
    }
    async useStep(userId, step) {
        return (await this.calls.script(USE_STEP, [this.keys(userId).state], [String(step)])) === 1;
    }
    async useRecoveryCode(userId, hash) {
        const k = this.keys(userId);
        const left = Number(await this.calls.script(USE_RECOVERY, [k.state, k.recovery], [hash]));
        return left < 0 ? null : left;
    }
    async createChallenge(userId, id, challenge, now, cap) {
        const json = JSON.stringify({ e: challenge.expiresAt, a: challenge.attemptsLeft, c: challenge.client, p: challenge.pwd });
        const ttlMs = Math.max(1, challenge.expiresAt - now);
        await this.calls.script(CREATE_CHALLENGE, [this.keys(userId).pending], [id, json, String(now), String(cap), String(ttlMs)]);
    }
    async findChallenge(userId, id, now) {
        const raw = await this.call(this.redis.hget(this.keys(userId).pending, id));
        if (!raw)
            return null;
        const c = JSON.parse(raw);
        if (c.e <= now || c.a <= 0)
            return null;
        return { expiresAt: c.e, attemptsLeft: c.a, client: c.c, pwd: c.p };
    }
    async completeWithStep(userId, id, step, now) {
        const k = this.keys(userId);
        return outcome(await this.calls.script(COMPLETE_STEP, [k.state, k.pending], [id, String(now), String(step)]));
    }
    async completeWithRecoveryCode(userId, id, hash, now) {
        const k = this.keys(userId);
        return outcome(await this.calls.script(COMPLETE_RECOVERY, [k.state, k.pending, k.recovery], [id, String(now), hash]));
    }
    async failChallenge(userId, id, now) {
        return outcome(await this.calls.script(FAIL_CHALLENGE, [this.keys(userId).pending], [id, String(now)]));
    }
    deleteAll(userId) {
        return this.disable(userId);
    }
}
function outcome(raw) {
    const [status, n] = raw;
    if (status === "ok")
        return { status, recoveryCodesLeft: Number(n ?? 0) };
    if (status === "wrong")
        return { status, attemptsLeft: Number(n ?? 0) };
    return { status: "gone" };
}
