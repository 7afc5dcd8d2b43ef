import type { SessionIndex } from "../ports/session-index.js";
import { RedisCalls, type RedisClient } from "./redis-call.js";
import { resolveRedisOptions, type RedisAdapterOptions, type RedisKeys } from "./redis-keys.js";

/**
 * The per-user session index in Redis: one sorted set per user,
 * `<prefix>{u:<userId>}:sessions`, members are session ids scored by the latest moment each can
 * live (ms). The key shares the user's hash tag, so on a Cluster it sits in the user's slot; every
 * command touches that one key. Entries past their score are trimmed on each write and read, and
 * the key itself expires `ttlSeconds` after the last sign-in, so it never grows without bound.
 */
export class RedisSessionIndex implements SessionIndex {
  private readonly keys: RedisKeys;
  private readonly calls: RedisCalls;
  private readonly ttlSeconds: number;

  /**
   * @param options - `keyPrefix` and `timeoutMs` (see {@link RedisAdapterOptions}), and
   *   `ttlSeconds`: how long the index outlives the last sign-in (the absolute timeout).
   * @throws TypeError on an invalid option.
   */
  constructor(redis: RedisClient, options: RedisAdapterOptions & { ttlSeconds: number }) {
    const { keys, timeoutMs } = resolveRedisOptions("RedisSessionIndex", options);
    if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
      throw new TypeError("RedisSessionIndex: ttlSeconds must be a positive integer");
    }
    this.keys = keys;
    this.calls = new RedisCalls(redis, timeoutMs);
    this.ttlSeconds = options.ttlSeconds;
  }

  key(userId: string): string {
    return this.keys.sessionIndex(userId);
  }

  async add(userId: string, sessionId: string, expiresAt: number, now: number): Promise<void> {
    const key = this.key(userId);
    // One key, so MULTI is valid on a Cluster. The key TTL is relative (not PEXPIREAT from our
    // clock) so an injected clock in tests cannot make Redis drop the index at once.
    await this.calls.multi("session index update", (tx) => tx.zadd(key, expiresAt, sessionId).zremrangebyscore(key, "-inf", now).expire(key, this.ttlSeconds));
  }

  async remove(userId: string, sessionId: string): Promise<void> {
    await this.calls.call(this.calls.redis.zrem(this.key(userId), sessionId));
  }

  async list(userId: string, now: number): Promise<string[]> {
    return this.calls.call(this.calls.redis.zrangebyscore(this.key(userId), now, "+inf"));
  }
}
