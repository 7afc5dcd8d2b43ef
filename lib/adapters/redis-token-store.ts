import type { TokenPurpose, TokenRecord, TokenStore } from "../ports/token-store.js";
import { redisCall, type RedisClient } from "./redis-call.js";

/** Removes the token only if its hash matches and it has not expired: atomic, one key. */
const CONSUME = `
local h = redis.call('HGET', KEYS[1], 'hash')
if not h or h ~= ARGV[1] then return nil end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) < tonumber(ARGV[2]) then return nil end
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return all`;

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
export class RedisTokenStore implements TokenStore {
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: RedisClient,
    options: { keyPrefix?: string; timeoutMs?: number } = {},
  ) {
    this.prefix = options.keyPrefix ?? "gh:";
    this.timeoutMs = options.timeoutMs ?? 1500;
  }

  key(userId: string, purpose: TokenPurpose): string {
    return `${this.prefix}{u:${userId}}:token:${purpose}`;
  }

  async put(record: TokenRecord, ttlSeconds: number): Promise<void> {
    const key = this.key(record.userId, record.purpose);
    const fields = { ...record, expiresAt: String(record.expiresAt) };
    const done = this.redis
      .multi()
      .del(key)
      .hset(key, fields)
      .expire(key, Math.max(1, Math.ceil(ttlSeconds)))
      .exec()
      .then((result) => {
        if (!result || result.some(([err]) => err)) throw new Error("token write failed");
      });
    await redisCall(done, this.timeoutMs);
  }

  async find(userId: string, purpose: TokenPurpose, hash: string, now: number): Promise<TokenRecord | null> {
    const raw = await redisCall(this.redis.hgetall(this.key(userId, purpose)), this.timeoutMs);
    const record = toRecord(raw);
    return record && record.hash === hash && record.expiresAt >= now ? record : null;
  }

  async consume(userId: string, purpose: TokenPurpose, hash: string, now: number): Promise<TokenRecord | null> {
    const raw = (await redisCall(this.redis.eval(CONSUME, 1, this.key(userId, purpose), hash, String(now)), this.timeoutMs)) as string[] | null;
    if (!raw) return null;
    const obj: Record<string, string> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) obj[raw[i]!] = raw[i + 1]!;
    return toRecord(obj);
  }

  async revoke(userId: string, purposes: readonly TokenPurpose[]): Promise<void> {
    if (purposes.length === 0) return;
    // All keys share the user's hash tag: one multi-key DEL is valid on a Cluster.
    await redisCall(this.redis.del(...purposes.map((p) => this.key(userId, p))), this.timeoutMs);
  }
}

function toRecord(raw: Record<string, string>): TokenRecord | null {
  if (!raw.hash || !raw.userId || !raw.purpose) return null;
  return {
    purpose: raw.purpose as TokenPurpose,
    userId: raw.userId,
    hash: raw.hash,
    target: raw.target ?? "",
    fingerprint: raw.fingerprint ?? "",
    expiresAt: Number(raw.expiresAt),
  };
}
