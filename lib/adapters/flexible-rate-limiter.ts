import { createHash } from "node:crypto";
import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Limit, LimitHit, LimitRefund, LimitState, RateLimiter } from "../ports/rate-limiter.js";

/**
 * The part of `RedisRateLimiter` and `MemoryRateLimiter` that does not depend on the store: one
 * rate-limiter-flexible limiter per counter, keys hashed, and its two kinds of rejection told
 * apart. rate-limiter-flexible rejects a refused hit with a `RateLimiterRes` (not an `Error`)
 * and a store failure with the store's `Error`: the first becomes `{ blocked: true }`, the second
 * propagates through `guard`, so an outage can never read as "allowed".
 */
export abstract class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  /** Builds the rate-limiter-flexible limiter for one counter. */
  protected abstract create(limit: Limit): RateLimiterAbstract;

  /** Runs one store operation (e.g. under a deadline that turns an outage into a 503). */
  protected abstract guard<T>(op: Promise<T>): Promise<T>;

  async hit(limit: Limit, key: string, points = 1): Promise<LimitState> {
    const op = this.limiter(limit)
      .consume(hashKey(key), points)
      .then(
        (res) => {
          readable(res.consumedPoints);
          return { blocked: false, remaining: res.remainingPoints, retryAfter: seconds(res.msBeforeNext) };
        },
        (rejection: unknown) => {
          if (rejection instanceof RateLimiterRes) return blockedState(limit, rejection.msBeforeNext);
          throw rejection;
        },
      );
    return this.guard(op);
  }

  /**
   * Hits every counter at once, then hands the point back to those that allowed it when any
   * refused. Not atomic across counters (a concurrent attempt may see the point for a moment);
   * `RedisRateLimiter` overrides it with one script on a single Redis.
   */
  async hitAll(hits: readonly LimitHit[]): Promise<LimitState[]> {
    const states = await Promise.all(hits.map(({ limit, key, points }) => this.hit(limit, key, points)));
    if (!states.some((state) => state.blocked)) return states;
    await Promise.all(hits.filter((_, i) => !states[i]!.blocked).map(({ limit, key, points }) => this.refund(limit, key, points)));
    return states.map((state, i) => (state.blocked ? state : { ...state, remaining: Math.min(hits[i]!.limit.points, state.remaining + (hits[i]!.points ?? 1)) }));
  }

  async refund(limit: Limit, key: string, points = 1): Promise<void> {
    await this.guard(this.limiter(limit).reward(hashKey(key), points));
  }

  async refundAll(refunds: readonly LimitRefund[]): Promise<void> {
    await Promise.all(refunds.map(({ limit, key, points, clear }) => (clear ? this.clear(limit, key) : this.refund(limit, key, points))));
  }

  async check(limit: Limit, key: string): Promise<LimitState> {
    const op = this.limiter(limit)
      .get(hashKey(key))
      .then((res): LimitState => {
        if (!res) return { blocked: false, remaining: limit.points, retryAfter: 0 };
        readable(res.consumedPoints);
        if (res.consumedPoints > limit.points) return blockedState(limit, res.msBeforeNext);
        return { blocked: false, remaining: Math.max(0, limit.points - res.consumedPoints), retryAfter: seconds(res.msBeforeNext) };
      });
    return this.guard(op);
  }

  async clear(limit: Limit, key: string): Promise<void> {
    await this.guard(this.limiter(limit).delete(hashKey(key)));
  }

  private limiter(limit: Limit): RateLimiterAbstract {
    const id = `${limit.name}:${limit.points}:${limit.duration}:${limit.blockDuration}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = this.create(limit);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

/**
 * Keys may hold emails: only their SHA-256 reaches the store, so no address shows up in key
 * names (`SCAN`, `MONITOR`, slow logs, dumps).
 */
export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("base64url");
}

/**
 * rate-limiter-flexible reads a key with MULTI/EXEC and ignores per-command errors, and parses
 * counts with parseInt: a count that is not a number would compare as "under the limit". Fail
 * closed instead (the guard turns this into a 503).
 */
export function readable(count: number): void {
  if (!Number.isFinite(count)) throw new Error(`unreadable rate-limit count: ${String(count)}`);
}

export function seconds(ms: number): number {
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}

export function blockedState(limit: Limit, msBeforeNext: number): LimitState {
  // A key without expiry (msBeforeNext -1) cannot come from our rules; still never answer
  // "retry in 0 s" while refusing.
  const retryAfter = msBeforeNext > 0 ? Math.ceil(msBeforeNext / 1000) : limit.blockDuration || limit.duration;
  return { blocked: true, remaining: 0, retryAfter: Math.max(1, retryAfter) };
}
