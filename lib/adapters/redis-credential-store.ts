import type { CredentialChange, CredentialState, CredentialStore } from "../ports/credential-store.js";
import { PENDING_GRACE_MS } from "../ports/credential-store.js";
import { lua, RedisCalls, type RedisClient } from "./redis-call.js";
import { resolveRedisOptions, type RedisAdapterOptions, type RedisKeys } from "./redis-keys.js";

/**
 * The Lua every script of a user's credentials starts with (session and refresh-family scripts
 * too): the one reading of the credential record, and the one rule of compare-and-create.
 *
 * `credential(key, now)` reads the record: its epoch (0 when absent), whether the user is gone,
 * whether a change is stuck in flight past the grace period, the user copy and password
 * fingerprints.
 *
 * `current(c, epoch)` is the one rule of a credential's life: it counts while the user is not gone
 * and it is stamped with the record's epoch.
 *
 * `admit(key, c, pwd, user, at)` decides whether a sign-in that verified the password hash with
 * fingerprint `pwd` may begin a credential: `refused` when the user is gone or the password
 * changed since (the fingerprint is neither the current one nor the one a re-hash replaced),
 * `pending` when a change is stuck; otherwise `ok`, recording the fingerprint if the record had
 * none and the user copy if it is newer.
 */
export const CREDENTIAL_LUA = `
local function credential(key, now)
  local c = redis.call('HMGET', key, 'epoch', 'gone', 'pending', 'pendingAt', 'user', 'pwd', 'prev', 'at')
  return {
    epoch = tonumber(c[1] or '0'),
    gone = c[2] == '1',
    stuck = c[3] ~= false and tonumber(now) - tonumber(c[4] or '0') > ${PENDING_GRACE_MS},
    user = c[5], pwd = c[6], prev = c[7], at = tonumber(c[8] or '-1')
  }
end
local function current(c, epoch)
  return not c.gone and epoch == c.epoch
end
local function admit(key, c, pwd, user, at)
  if c.gone then return 'refused' end
  if c.stuck then return 'pending' end
  if c.pwd and c.pwd ~= pwd and c.prev ~= pwd then return 'refused' end
  if not c.pwd then redis.call('HSET', key, 'pwd', pwd) end
  if c.at <= tonumber(at) then redis.call('HSET', key, 'user', user, 'at', at) end
  return 'ok'
end
`;

/**
 * One change of the record (see {@link CredentialChange}). KEYS: the record, the user's session
 * index and family index, and, when given, the kept credential, re-stamped with the new epoch:
 * a session (a STRING `<epoch> <json>`) or a family (a HASH with field `epoch`). A deletion
 * also removes every session and family of the user at once (the epoch already ends them; this
 * frees their memory).
 * ARGV: pwd, rehash, revoke, gone, user, at, settles, tombstone ttl (s), kept kind, session key
 * base, family key base.
 */
const COMMIT = lua(`
local k = KEYS[1]
local c = redis.call('HMGET', k, 'epoch', 'pwd', 'at', 'pending')
local epoch = tonumber(c[1] or '0')
if ARGV[3] == '1' then
  epoch = epoch + 1
  redis.call('HSET', k, 'epoch', epoch)
end
if ARGV[1] ~= '' then
  if ARGV[2] == '1' and c[2] then redis.call('HSET', k, 'prev', c[2]) else redis.call('HDEL', k, 'prev') end
  redis.call('HSET', k, 'pwd', ARGV[1])
end
if ARGV[5] ~= '' and (not c[3] or tonumber(c[3]) <= tonumber(ARGV[6])) then
  redis.call('HSET', k, 'user', ARGV[5], 'at', ARGV[6])
end
if ARGV[7] ~= '' and c[4] == ARGV[7] then redis.call('HDEL', k, 'pending', 'pendingAt') end
if ARGV[4] == '1' then
  redis.call('HSET', k, 'gone', '1')
  redis.call('HDEL', k, 'user', 'at', 'pwd', 'prev', 'pending', 'pendingAt')
  redis.call('EXPIRE', k, ARGV[8])
  for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local rand = string.match(m, ':(.+)$')
    if rand then redis.call('DEL', ARGV[10] .. rand) end
  end
  for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do redis.call('DEL', ARGV[11] .. id) end
  redis.call('DEL', KEYS[2], KEYS[3])
end
if KEYS[4] then
  if ARGV[9] == 'session' then
    local v = redis.call('GET', KEYS[4])
    local body = v and string.match(v, '^%d+ (.*)$')
    if body then redis.call('SET', KEYS[4], epoch .. ' ' .. body, 'KEEPTTL') end
  elseif redis.call('EXISTS', KEYS[4]) == 1 then
    redis.call('HSET', KEYS[4], 'epoch', epoch)
  end
end
return epoch`);

/**
 * The credential records in Redis: a HASH `<prefix>{u:<userId>}:cred` per user (fields `epoch`,
 * `pwd`, `prev`, `user`, `at`, `gone`, `pending`, `pendingAt`), in the user's slot. A live user's
 * record has no expiry; a deleted user's tombstone lives `tombstoneTtl` seconds, as long as any
 * credential of theirs could.
 */
export class RedisCredentialStore implements CredentialStore {
  private readonly keys: RedisKeys;
  private readonly calls: RedisCalls;

  /**
   * @param options - `keyPrefix`, `timeoutMs` (see {@link RedisAdapterOptions}) and
   *   `tombstoneTtl`: seconds a deleted user's record outlives them (the longest credential lifetime).
   */
  constructor(redis: RedisClient, private readonly options: RedisAdapterOptions & { tombstoneTtl: number }) {
    const { keys, timeoutMs } = resolveRedisOptions("RedisCredentialStore", options);
    this.keys = keys;
    this.calls = new RedisCalls(redis, timeoutMs);
  }

  async read(userId: string): Promise<CredentialState> {
    const [epoch, gone, pwd, pending, pendingAt] = await this.calls.call(this.calls.redis.hmget(this.keys.credential(userId), "epoch", "gone", "pwd", "pending", "pendingAt"));
    return { epoch: Number(epoch ?? 0), gone: gone === "1", pwd: pwd ?? undefined, pending: pending ? { value: pending, at: Number(pendingAt ?? 0) } : undefined };
  }

  async prepare(userId: string, pending: string, now: number): Promise<void> {
    await this.calls.call(this.calls.redis.hset(this.keys.credential(userId), "pending", pending, "pendingAt", String(now)));
  }

  async commit(userId: string, change: CredentialChange): Promise<void> {
    const keys = [this.keys.credential(userId), this.keys.sessionIndex(userId), this.keys.families(userId)];
    let kind = "";
    if (change.keep && "session" in change.keep) {
      keys.push(this.keys.sessionOf(change.keep.session));
      kind = "session";
    } else if (change.keep) {
      keys.push(this.keys.family(userId, change.keep.family));
      kind = "family";
    }
    await this.calls.script(COMMIT, keys, [
      change.pwd ?? "",
      change.rehash ? "1" : "",
      change.revoke || change.gone ? "1" : "",
      change.gone ? "1" : "",
      change.user?.json ?? "",
      change.user?.at ?? 0,
      change.settles ?? "",
      Math.max(1, Math.ceil(this.options.tombstoneTtl)),
      kind,
      this.keys.userSessionBase(userId),
      this.keys.familyBase(userId),
    ]);
  }
}
