import { AuthError } from "../errors.js";
/**
 * Bounded concurrency with a bounded queue. Password hashing runs on libuv's thread pool, which
 * WebCrypto, fs and DNS share; unbounded, a burst of logins starves every other request and
 * holds ~19 MiB per argon2 hash in flight. Past `maxQueue` waiters we shed load with a 503
 * rather than queue without end.
 */
export class HashingQueue {
    concurrency;
    maxQueue;
    active = 0;
    waiting = [];
    constructor(concurrency, maxQueue) {
        this.concurrency = concurrency;
        this.maxQueue = maxQueue;
    }
    async run(task) {
        if (this.active >= this.concurrency) {
            if (this.waiting.length >= this.maxQueue)
                throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
            await new Promise((resolve) => this.waiting.push(resolve));
        }
        else {
            this.active++;
        }
        try {
            return await task();
        }
        finally {
            const next = this.waiting.shift();
            // Hand the slot straight to the next waiter so `active` never dips and lets a newcomer jump the queue.
            if (next)
                next();
            else
                this.active--;
        }
    }
}
