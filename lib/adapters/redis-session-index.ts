import type { SessionIndex } from "../ports/session-index.js";
import { redisCall, type RedisClient } from "./redis-call.js";

/**
 * The per-user session index in Redis: one sorted set per user,
 * `<prefix>{u:<userId>}:sessions`, members are session ids scored by the latest moment each can
 * live (ms). The key shares the user's hash tag, so on a Cluster it sits in the user's slot; every
 * command touches that one key. Entries past their score are trimmed on each write and read, and
 * the key itself expires `ttlSeconds` after the last sign-in, so it never grows without bound.
 */
export class RedisSessionIndex implements SessionIndex {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: RedisClient,
    options: { keyPrefix?: string; timeoutMs?: number; ttlSeconds: number },
  ) {
    this.prefix = options.keyPrefix ?? "gh:";
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.ttlSeconds = options.ttlSeconds;
  }

  key(userId: string): string {
    return `${this.prefix}{u:${userId}}:sessions`;
  }

  async add(userId: string, sessionId: string, expiresAt: number, now: number): Promise<void> {
    const key = this.key(userId);
    // One key, so MULTI is valid on a Cluster. The key TTL is relative (not PEXPIREAT from our
    // clock) so an injected clock in tests cannot make Redis drop the index at once.
    const tx = this.redis.multi().zadd(key, expiresAt, sessionId).zremrangebyscore(key, "-inf", now).expire(key, this.ttlSeconds);
    const checked = tx.exec().then((result) => {
      if (!result || result.some(([err]) => err)) throw new Error("session index update failed");
    });
    await redisCall(checked, this.timeoutMs);
  }

  async remove(userId: string, sessionId: string): Promise<void> {
    await redisCall(this.redis.zrem(this.key(userId), sessionId), this.timeoutMs);
  }

  async list(userId: string, now: number): Promise<string[]> {
    return redisCall(this.redis.zrangebyscore(this.key(userId), now, "+inf"), this.timeoutMs);
  }
}
