import { RateLimiterMemory, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Limit } from "../ports/rate-limiter.js";
import { FlexibleRateLimiter } from "./flexible-rate-limiter.js";

/**
 * Rate limits in this process's memory, on rate-limiter-flexible's `RateLimiterMemory`: for
 * tests, development and `inMemory` mode. Counts are not shared between processes or instances,
 * so it is no protection for an app that runs more than one. Time is the wall clock.
 */
export class MemoryRateLimiter extends FlexibleRateLimiter {
  protected create(limit: Limit): RateLimiterAbstract {
    return new RateLimiterMemory({
      keyPrefix: `rl:${limit.name}`,
      points: limit.points,
      duration: limit.duration,
      blockDuration: limit.blockDuration,
    });
  }

  protected guard<T>(op: Promise<T>): Promise<T> {
    return op;
  }
}
