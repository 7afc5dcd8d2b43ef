import type { RefreshFamily, RefreshStore, RotateResult } from "../ports/refresh-store.js";
import type { PublicUser } from "../types.js";
import { lua, RedisCalls, type RedisClient } from "./redis-call.js";
import { resolveRedisOptions, type RedisAdapterOptions, type RedisKeys } from "./redis-keys.js";

/**
 * Presents a token hash to a family, atomically (one Lua script on the family's key and the
 * user's index, both in the user's slot). Expired, or begun under another password → gone;
 * current → rotate; previous within the grace window → the sealed successor; anything else on a
 * live family → a replay: the family is deleted.
 */
const ROTATE = lua(`
local k = KEYS[1]
local f = redis.call('HMGET', k, 'cur', 'prev', 'prevAt', 'next', 'expiresAt', 'pwd')
if not f[5] then return {'invalid'} end
local now = tonumber(ARGV[5])
if tonumber(f[5]) <= now or f[6] ~= ARGV[8] then
  redis.call('DEL', k)
  redis.call('ZREM', KEYS[2], ARGV[7])
  return {'invalid'}
end
if f[1] == ARGV[1] then
  redis.call('HSET', k, 'prev', ARGV[1], 'prevAt', ARGV[5], 'next', ARGV[3], 'cur', ARGV[2], 'seenAt', ARGV[5], 'user', ARGV[4])
  return {'rotated', '', unpack(redis.call('HGETALL', k))}
end
if f[2] == ARGV[1] and now - tonumber(f[3]) <= tonumber(ARGV[6]) then
  return {'grace', f[4], unpack(redis.call('HGETALL', k))}
end
redis.call('DEL', k)
redis.call('ZREM', KEYS[2], ARGV[7])
return {'reuse'}`);

/** Records a re-authentication on a family that still exists. */
const AUTHENTICATED = lua(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'authAt', ARGV[1])
redis.call('HDEL', KEYS[1], 'restricted')
return 1`);

/** Sets the user copy in each listed family that still exists. */
const UPDATE_USER = lua(`
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('HSET', KEYS[i], 'user', ARGV[1]) end
end
return #KEYS`);

/**
 * Refresh-token families in Redis. Keys, all in the user's slot (`{u:<userId>}`), so every
 * multi-key operation is valid on a Cluster:
 * - `<prefix>{u:<userId>}:family:<familyId>`: a HASH (times, ip, user agent, the user copy, the
 *   current and previous token hashes, the sealed successor); expires with the family;
 * - `<prefix>{u:<userId>}:families`: a sorted set of the user's family ids by their end.
 */
export class RedisRefreshStore implements RefreshStore {
  private readonly redis: RedisClient;
  private readonly keys: RedisKeys;
  private readonly calls: RedisCalls;

  /**
   * @param redis - A standalone ioredis client or a Cluster.
   * @param options - `keyPrefix` and `timeoutMs`, see {@link RedisAdapterOptions}.
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

  private call<T>(op: Promise<T>): Promise<T> {
    return this.calls.call(op);
  }

  async create(family: RefreshFamily, tokenHash: string): Promise<void> {
    const key = this.familyKey(family.userId, family.id);
    const index = this.indexKey(family.userId);
    const ttl = Math.max(1, Math.ceil((family.expiresAt - family.createdAt) / 1000));
    await this.calls.multi("refresh family write", (tx) =>
      tx
        .hset(key, { ...toHash(family), cur: tokenHash })
        .expire(key, ttl)
        .zadd(index, family.expiresAt, family.id)
        .zremrangebyscore(index, "-inf", family.createdAt)
        .expire(index, ttl),
    );
  }

  async get(userId: string, familyId: string, now: number): Promise<RefreshFamily | null> {
    const family = fromHash(await this.call(this.redis.hgetall(this.familyKey(userId, familyId))));
    return family && family.expiresAt > now ? family : null;
  }

  async rotate(userId: string, familyId: string, presentedHash: string, next: { hash: string; sealed: string; user: PublicUser; pwd: string }, now: number, graceMs: number): Promise<RotateResult> {
    const raw = (await this.calls.script(
      ROTATE,
      [this.familyKey(userId, familyId), this.indexKey(userId)],
      [presentedHash, next.hash, next.sealed, JSON.stringify(next.user), String(now), String(graceMs), familyId, next.pwd],
    )) as string[];
    const [status, sealed, ...fields] = raw;
    if (status === "rotated" || status === "grace") {
      const obj: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) obj[fields[i]!] = fields[i + 1]!;
      const family = fromHash(obj);
      if (!family) return { status: "invalid" };
      return status === "rotated" ? { status, family } : { status, family, sealedNext: sealed ?? "" };
    }
    return { status: status === "reuse" ? "reuse" : "invalid" };
  }

  async authenticated(userId: string, familyId: string, authAt: number): Promise<void> {
    await this.calls.script(AUTHENTICATED, [this.familyKey(userId, familyId)], [String(authAt)]);
  }

  async updateUser(user: PublicUser): Promise<void> {
    const ids = await this.call(this.redis.zrange(this.indexKey(user.id), "0", "-1"));
    if (ids.length === 0) return;
    await this.calls.script(UPDATE_USER, ids.map((id) => this.familyKey(user.id, id)), [JSON.stringify(user)]);
  }

  async list(userId: string, now: number): Promise<RefreshFamily[]> {
    const ids = await this.call(this.redis.zrangebyscore(this.indexKey(userId), now, "+inf"));
    const families = await Promise.all(ids.map((id) => this.get(userId, id, now)));
    return families.filter((f): f is RefreshFamily => f !== null);
  }

  async delete(userId: string, familyId: string): Promise<boolean> {
    const removed = await this.call(this.redis.del(this.familyKey(userId, familyId)));
    await this.call(this.redis.zrem(this.indexKey(userId), familyId));
    return removed > 0;
  }

  async deleteAll(userId: string, keep?: string): Promise<number> {
    const ids = (await this.call(this.redis.zrange(this.indexKey(userId), "0", "-1"))).filter((id) => id !== keep);
    if (ids.length === 0) return 0;
    // Same slot: one multi-key DEL ends them all at once.
    const removed = await this.call(this.redis.del(...ids.map((id) => this.familyKey(userId, id))));
    await this.call(this.redis.zrem(this.indexKey(userId), ...ids));
    return removed;
  }
}

function toHash(f: RefreshFamily): Record<string, string> {
  return {
    id: f.id,
    userId: f.userId,
    createdAt: String(f.createdAt),
    expiresAt: String(f.expiresAt),
    seenAt: String(f.seenAt),
    ip: f.ip ?? "",
    ua: f.userAgent ?? "",
    user: JSON.stringify(f.user),
    pwd: f.pwd,
    authAt: String(f.authAt ?? f.createdAt),
    ...(f.restricted ? { restricted: f.restricted } : {}),
  };
}

function fromHash(h: Record<string, string>): RefreshFamily | null {
  if (!h.id || !h.userId || !h.user) return null;
  return {
    id: h.id,
    userId: h.userId,
    createdAt: Number(h.createdAt),
    expiresAt: Number(h.expiresAt),
    seenAt: Number(h.seenAt),
    ip: h.ip || undefined,
    userAgent: h.ua || undefined,
    user: JSON.parse(h.user) as PublicUser,
    pwd: h.pwd ?? "",
    authAt: h.authAt ? Number(h.authAt) : Number(h.createdAt),
    ...(h.restricted === "mfa-enrollment" ? { restricted: "mfa-enrollment" as const } : {}),
  };
}
