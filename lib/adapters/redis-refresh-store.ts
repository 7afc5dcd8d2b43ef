import type { Admission } from "../ports/credential-store.js";
import type { CreateResult, FamilyRead, NewFamily, RefreshFamily, RefreshStore, RotateResult } from "../ports/refresh-store.js";
import type { PublicUser } from "../types.js";
import { CREDENTIAL_LUA } from "./redis-credential-store.js";
import { lua, RedisCalls, type RedisClient } from "./redis-call.js";
import { resolveRedisOptions, type RedisAdapterOptions, type RedisKeys } from "./redis-keys.js";

// Every script below runs on KEYS[1] the family, KEYS[2] the user's family index, KEYS[3] the
// user's credential record: one slot ({u:<id>}), one atomic step.

/**
 * `ended(k, ix, c, now, id)`: whether the family (its `epoch` and `expiresAt` read as `f`) is dead
 * against the record `c`: expired, of an older epoch (revoke all, password change, reset) or of
 * a deleted user. A dead family is deleted on the spot.
 */
const FAMILY_LUA = `${CREDENTIAL_LUA}
local function ended(k, ix, c, f, now, id)
  if not current(c, tonumber(f[1])) or not c.user or tonumber(f[2]) <= tonumber(now) then
    redis.call('DEL', k)
    redis.call('ZREM', ix, id)
    return true
  end
  return false
end
`;

/**
 * Begins a family if the record admits the sign-in, stamped with the record's epoch; the oldest
 * families beyond the cap end. ARGV: pwd, user json, at, now, ttl (s), cap, key base of the
 * user's families, then the family's fields as name/value pairs.
 */
const CREATE = lua(`${FAMILY_LUA}
local now = tonumber(ARGV[4])
local c = credential(KEYS[3], now)
local verdict = admit(KEYS[3], c, ARGV[1], ARGV[2], ARGV[3])
if verdict ~= 'ok' then return {verdict} end
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'epoch', c.epoch, 'n', 0, unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[5])
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'expiresAt'), id)
-- Over the cap: families that already ended (an older epoch) go first, then the oldest live
-- ones (every family has the same lifetime: the lowest end is the oldest sign-in); never this one.
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[6])
for pass = 1, 2 do
  if extra <= 0 then break end
  for _, old in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if extra <= 0 then break end
    local e = redis.call('HGET', ARGV[7] .. old, 'epoch')
    if old ~= id and (pass == 2 or not current(c, tonumber(e))) then
      redis.call('DEL', ARGV[7] .. old)
      redis.call('ZREM', KEYS[2], old)
      extra = extra - 1
    end
  end
end
redis.call('EXPIRE', KEYS[2], ARGV[5])
return {'created', redis.call('HGET', KEYS[3], 'user'), unpack(redis.call('HGETALL', KEYS[1]))}`);

/** The per-request read. ARGV: now, family id. */
const GET = lua(`${FAMILY_LUA}
local f = redis.call('HMGET', KEYS[1], 'epoch', 'expiresAt')
if not f[1] then return {'ended'} end
local c = credential(KEYS[3], ARGV[1])
if ended(KEYS[1], KEYS[2], c, f, ARGV[1], ARGV[2]) then return {'ended'} end
if c.stuck then return {'pending'} end
return {'live', c.user, unpack(redis.call('HGETALL', KEYS[1]))}`);

/**
 * Presents generation ARGV[1] of the family's token: current → the next generation; the previous
 * one within the grace window → the current one again (two tabs); an older one → a replay, the
 * family is deleted. ARGV: n, now, grace (ms), family id.
 */
const ROTATE = lua(`${FAMILY_LUA}
local k = KEYS[1]
local f = redis.call('HMGET', k, 'epoch', 'expiresAt', 'n', 'rotAt')
if not f[1] then return {'invalid'} end
local now = tonumber(ARGV[2])
local c = credential(KEYS[3], now)
if ended(k, KEYS[2], c, f, now, ARGV[4]) then return {'invalid'} end
if c.stuck then return {'pending'} end
local n, cur = tonumber(ARGV[1]), tonumber(f[3])
if n == cur then
  redis.call('HSET', k, 'n', cur + 1, 'rotAt', now, 'seenAt', now)
  return {'rotated', c.user, unpack(redis.call('HGETALL', k))}
end
if n == cur - 1 and now - tonumber(f[4] or '0') <= tonumber(ARGV[3]) then
  return {'grace', c.user, unpack(redis.call('HGETALL', k))}
end
-- Never issued (the MAC was checked before): nothing to detect.
if n > cur then return {'invalid'} end
redis.call('DEL', k)
redis.call('ZREM', KEYS[2], ARGV[4])
return {'reuse'}`);

/**
 * The user's live families: the index's ids of unexpired families, each read and checked against
 * the record (dead ones deleted). ARGV: now, key base of the user's families.
 */
const LIST = lua(`${FAMILY_LUA}
local c = credential(KEYS[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local out = {c.user or ''}
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local k = ARGV[2] .. id
  local f = redis.call('HMGET', k, 'epoch', 'expiresAt')
  if not f[1] then
    redis.call('ZREM', KEYS[2], id)
  elseif not ended(k, KEYS[2], c, f, ARGV[1], id) then
    out[#out + 1] = redis.call('HGETALL', k)
  end
end
return out`);

/** Records a re-authentication on a family that still exists. */
const AUTHENTICATED = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'authAt', ARGV[1])
redis.call('HDEL', KEYS[1], 'restricted')
return 1`);

/**
 * Refresh-token families in Redis. Keys, all in the user's slot (`{u:<userId>}`), so every
 * script runs on a Cluster too:
 * - `<prefix>{u:<userId>}:family:<familyId>`: a HASH (times, ip, user agent, the record epoch it
 *   is stamped with, the current generation `n` and when it last rotated); expires with the family;
 * - `<prefix>{u:<userId>}:families`: a sorted set of the user's family ids by their end;
 * - `<prefix>{u:<userId>}:cred`: the user's credential record (RedisCredentialStore), read by
 *   every script here and written by `create` only through `admit`.
 */
export class RedisRefreshStore implements RefreshStore {
  private readonly redis: RedisClient;
  private readonly keys: RedisKeys;
  private readonly calls: RedisCalls;

  /**
   * @param redis - A standalone ioredis client or a Cluster.
   * @param options - `keyPrefix` and `timeoutMs`, see {@link RedisAdapterOptions}: the same as the
   *   RedisCredentialStore's, whose records the families are checked against.
   * @throws TypeError on an invalid option.
   */
  constructor(redis: RedisClient, options: RedisAdapterOptions = {}) {
    const { keys, timeoutMs } = resolveRedisOptions("RedisRefreshStore", options);
    this.redis = redis;
    this.keys = keys;
    this.calls = new RedisCalls(redis, timeoutMs);
  }

  familyKey(userId: string, familyId: string): string {
    return this.keys.family(userId, familyId);
  }

  indexKey(userId: string): string {
    return this.keys.families(userId);
  }

  private slot(userId: string, familyId: string): string[] {
    return [this.familyKey(userId, familyId), this.indexKey(userId), this.keys.credential(userId)];
  }

  async create(family: NewFamily, admission: Admission, maxPerUser: number): Promise<CreateResult> {
    const ttl = Math.max(1, Math.ceil((family.expiresAt - family.createdAt) / 1000));
    const raw = (await this.calls.script(CREATE, this.slot(family.userId, family.id), [
      admission.pwd,
      admission.user.json,
      admission.user.at,
      family.createdAt,
      ttl,
      maxPerUser,
      this.familyKey(family.userId, ""),
      ...Object.entries(toHash(family)).flat(),
    ])) as string[];
    const status = raw[0];
    if (status === "created") {
      const created = fromReply(raw, 2, raw[1]);
      if (created) return { status, family: created };
    }
    return { status: status === "pending" ? "pending" : "refused" };
  }

  async get(userId: string, familyId: string, now: number): Promise<FamilyRead> {
    const reply = (await this.calls.script(GET, this.slot(userId, familyId), [now, familyId])) as string[];
    const status = reply[0];
    if (status === "pending") return { status };
    const family = status === "live" ? fromReply(reply, 2, reply[1]) : null;
    return family ? { status: "live", family } : { status: "ended" };
  }

  async rotate(userId: string, familyId: string, n: number, now: number, graceMs: number): Promise<RotateResult> {
    const reply = (await this.calls.script(ROTATE, this.slot(userId, familyId), [n, now, graceMs, familyId])) as string[];
    const status = reply[0];
    if (status === "rotated" || status === "grace") {
      const family = fromReply(reply, 2, reply[1]);
      return family ? { status, family } : { status: "invalid" };
    }
    return { status: status === "reuse" || status === "pending" ? status : "invalid" };
  }

  async authenticated(userId: string, familyId: string, authAt: number): Promise<void> {
    await this.calls.script(AUTHENTICATED, [this.familyKey(userId, familyId)], [String(authAt)]);
  }

  async list(userId: string, now: number): Promise<RefreshFamily[]> {
    const [user, ...families] = (await this.calls.script(LIST, this.slot(userId, ""), [now, this.familyKey(userId, "")])) as [string, ...string[][]];
    return families.map((fields) => fromReply(fields, 0, user)).filter((f): f is RefreshFamily => f !== null);
  }

  async delete(userId: string, familyId: string): Promise<boolean> {
    const [removed] = await this.calls.multi("refresh family delete", (tx) => tx.del(this.familyKey(userId, familyId)).zrem(this.indexKey(userId), familyId));
    return Number(removed) > 0;
  }

  private call<T>(op: Promise<T>): Promise<T> {
    return this.calls.call(op);
  }
}

function toHash(f: NewFamily): Record<string, string> {
  return {
    id: f.id,
    userId: f.userId,
    createdAt: String(f.createdAt),
    expiresAt: String(f.expiresAt),
    seenAt: String(f.seenAt),
    ip: f.ip ?? "",
    ua: f.userAgent ?? "",
    authAt: String(f.authAt ?? f.createdAt),
    ...(f.restricted ? { restricted: f.restricted } : {}),
  };
}

/**
 * The family of an HGETALL reply, its field/value pairs from `reply[start]` on. Read in place:
 * every JWT request reads one, and a copy of the reply plus an object of its fields were most of
 * what that read allocated.
 */
function fromReply(reply: readonly string[], start: number, user: string | undefined): RefreshFamily | null {
  let id: string | undefined, userId: string | undefined, createdAt: string | undefined, expiresAt: string | undefined, seenAt: string | undefined;
  let ip: string | undefined, ua: string | undefined, epoch: string | undefined, n: string | undefined, authAt: string | undefined, restricted: string | undefined;
  for (let i = start; i + 1 < reply.length; i += 2) {
    const value = reply[i + 1];
    switch (reply[i]) {
      case "id": id = value; break;
      case "userId": userId = value; break;
      case "createdAt": createdAt = value; break;
      case "expiresAt": expiresAt = value; break;
      case "seenAt": seenAt = value; break;
      case "ip": ip = value; break;
      case "ua": ua = value; break;
      case "epoch": epoch = value; break;
      case "n": n = value; break;
      case "authAt": authAt = value; break;
      case "restricted": restricted = value; break;
    }
  }
  if (!id || !userId || epoch === undefined || n === undefined || !user) return null;
  const family: RefreshFamily = {
    id,
    userId,
    createdAt: Number(createdAt),
    expiresAt: Number(expiresAt),
    seenAt: Number(seenAt),
    ip: ip || undefined,
    userAgent: ua || undefined,
    epoch: Number(epoch),
    n: Number(n),
    user: JSON.parse(user) as PublicUser,
    authAt: authAt ? Number(authAt) : Number(createdAt),
  };
  if (restricted === "mfa-enrollment") family.restricted = "mfa-enrollment";
  return family;
}
