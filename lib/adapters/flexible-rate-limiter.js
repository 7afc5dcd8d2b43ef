import { createHash } from "node:crypto";
import { RateLimiterRes } from "rate-limiter-flexible";
/**
 * The part of `RedisRateLimiter` and `MemoryRateLimiter` that does not depend on the store: one
 * rate-limiter-flexible limiter per counter, keys hashed, and its two kinds of rejection told
 * apart. rate-limiter-flexible rejects a refused hit with a `RateLimiterRes` (not an `Error`)
 * and a store failure with the store's `Error`: the first becomes `{ blocked: true }`, the second
 * propagates through `guard`, so an outage can never read as "allowed".
 */
export class FlexibleRateLimiter {
    limiters = new Map();
    async hit(limit, key, points = 1) {
        const op = this.limiter(limit)
            .consume(hashKey(key), points)
            .then((res) => {
            readable(res.consumedPoints);
            return { blocked: false, remaining: res.remainingPoints, retryAfter: seconds(res.msBeforeNext) };
        }, (rejection) => {
            if (rejection instanceof RateLimiterRes)
                return blockedState(limit, rejection.msBeforeNext);
            throw rejection;
        });
        return this.guard(op);
    }
    /**
     * Checks every counter first, then hits: only the refusing ones when any would refuse (the
     * others are never written, so a flood refused by one counter creates no key in the others),
     * else all of them, each atomically. Not atomic across counters: when a concurrent attempt
     * takes a counter's last point between the check and the hit, this attempt is refused and its
     * point is taken back from the counters that allowed it ({@link undo}); meanwhile those
     * counters show it. `RedisRateLimiter` on a single Redis does it all in one script instead.
     */
    async hitAll(hits) {
        const checked = await Promise.all(hits.map(({ limit, key }) => this.check(limit, key)));
        const all = hits.map((_, i) => i);
        const refusing = all.filter((i) => checked[i].blocked || checked[i].remaining < (hits[i].points ?? 1));
        // The refusing counters first (they count the refusal and block); the rest only if none refused after all.
        const phases = refusing.length > 0 ? [refusing, all.filter((i) => !refusing.includes(i))] : [all];
        const states = [];
        const counted = [];
        for (const phase of phases) {
            const got = await Promise.all(phase.map((i) => this.hit(hits[i].limit, hits[i].key, hits[i].points)));
            phase.forEach((i, j) => {
                states[i] = got[j];
                if (!got[j].blocked)
                    counted.push(i);
            });
            if (got.some((state) => state.blocked)) {
                await Promise.all(counted.map((i) => this.undo(hits[i].limit, hits[i].key, hits[i].points ?? 1)));
                return hits.map((hit, i) => {
                    const state = states[i];
                    if (!state)
                        return checked[i];
                    return state.blocked ? state : { ...state, remaining: Math.min(hit.limit.points, state.remaining + (hit.points ?? 1)) };
                });
            }
        }
        return states;
    }
    /** Takes back a hit that `hitAll` counted for an attempt another counter refused. @default refund */
    async undo(limit, key, points) {
        await this.refund(limit, key, points);
    }
    async refund(limit, key, points = 1) {
        await this.guard(this.limiter(limit).reward(hashKey(key), points));
    }
    async refundAll(refunds) {
        await Promise.all(refunds.map(({ limit, key, points, clear }) => (clear ? this.clear(limit, key) : this.refund(limit, key, points))));
    }
    async check(limit, key) {
        const op = this.limiter(limit)
            .get(hashKey(key))
            .then((res) => {
            if (!res)
                return { blocked: false, remaining: limit.points, retryAfter: 0 };
            readable(res.consumedPoints);
            if (res.consumedPoints > limit.points)
                return blockedState(limit, res.msBeforeNext);
            return { blocked: false, remaining: Math.max(0, limit.points - res.consumedPoints), retryAfter: seconds(res.msBeforeNext) };
        });
        return this.guard(op);
    }
    async clear(limit, key) {
        await this.guard(this.limiter(limit).delete(hashKey(key)));
    }
    limiter(limit) {
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
export function hashKey(key) {
    return createHash("sha256").update(key).digest("base64url");
}
/**
 * rate-limiter-flexible reads a key with MULTI/EXEC and ignores per-command errors, and parses
 * counts with parseInt: a count that is not a number would compare as "under the limit". Fail
 * closed instead (the guard turns this into a 503).
 */
export function readable(count) {
    if (!Number.isFinite(count))
        throw new Error(`unreadable rate-limit count: ${String(count)}`);
}
export function seconds(ms) {
    return ms > 0 ? Math.ceil(ms / 1000) : 0;
}
export function blockedState(limit, msBeforeNext) {
    // A key without expiry (msBeforeNext -1) cannot come from our rules; still never answer
    // "retry in 0 s" while refusing.
    const retryAfter = msBeforeNext > 0 ? Math.ceil(msBeforeNext / 1000) : limit.blockDuration || limit.duration;
    return { blocked: true, remaining: 0, retryAfter: Math.max(1, retryAfter) };
}
