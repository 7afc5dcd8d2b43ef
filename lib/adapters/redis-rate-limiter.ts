import { RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Limit } from "../ports/rate-limiter.js";
import { FlexibleRateLimiter } from "./flexible-rate-limiter.js";
import { redisCall, type RedisClient } from "./redis-call.js";

/**
 * Rate limits in Redis, shared by every instance of the app, on rate-limiter-flexible's
 * `RateLimiterRedis`. One STRING per counter and key, `<prefix>rl:<name>:<sha256(key)>`, that
 * expires with its window or block. A hit is one Lua script (SET NX EX + INCRBY + PTTL) on that
 * one key, so it is atomic and works on a Cluster without hash tags; every other command touches
 * one key too.
 *
 * Fails closed: every call runs under `redisCall`, so a stopped or paused Redis rejects with
 * `AuthError("SERVICE_UNAVAILABLE")` within `timeoutMs`. Deliberately not used from
 * rate-limiter-flexible: `insuranceLimiter` (would fall back to per-process counts during an
 * outage, i.e. fail open across instances), `inMemoryBlockOnConsumed` (a per-process block that
 * `clear` on one instance cannot lift on the others) and `rejectIfRedisNotReady` (never sends a
 * command on a `lazyConnect` client that has not connected yet; the deadline bounds waiting).
 */
export class RedisRateLimiter extends FlexibleRateLimiter {
  private readonly prefix: string;
  private readonly timeoutMs: number;

  /**
   * @param redis - A standalone ioredis client or a Cluster; the recommended options fail fast
   *   while Redis is away (`enableOfflineQueue: false`).
   * @param options.keyPrefix - Prepended to every key. @default "gh:"
   * @param options.timeoutMs - Deadline of each call, in milliseconds. @default 1500
   */
  constructor(
    private readonly redis: RedisClient,
    options: { keyPrefix?: string; timeoutMs?: number } = {},
  ) {
    super();
    this.prefix = options.keyPrefix ?? "gh:";
    this.timeoutMs = options.timeoutMs ?? 1500;
  }

  protected create(limit: Limit): RateLimiterAbstract {
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${this.prefix}rl:${limit.name}`,
      points: limit.points,
      duration: limit.duration,
      blockDuration: limit.blockDuration,
    });
  }

  protected guard<T>(op: Promise<T>): Promise<T> {
    return redisCall(op, this.timeoutMs);
  }
}
