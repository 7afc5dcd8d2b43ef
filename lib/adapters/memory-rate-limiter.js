import { RateLimiterMemory } from "rate-limiter-flexible";
import { FlexibleRateLimiter } from "./flexible-rate-limiter.js";
/**
 * Rate limits in this process's memory, on rate-limiter-flexible's `RateLimiterMemory`: for
 * tests, development and `inMemory` mode. Counts are not shared between processes or instances,
 * so it is no protection for an app that runs more than one. Time is the wall clock.
 */
export class MemoryRateLimiter extends FlexibleRateLimiter {
    create(limit) {
        return new RateLimiterMemory({
            keyPrefix: `rl:${limit.name}`,
            points: limit.points,
            duration: limit.duration,
            blockDuration: limit.blockDuration,
        });
    }
    guard(op) {
        return op;
    }
}
