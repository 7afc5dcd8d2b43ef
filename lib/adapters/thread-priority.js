import { readdirSync } from "node:fs";
import { setPriority } from "node:os";
/** The nice value background threads get: their CPU share drops to about a tenth of the main thread's when both want the same core. */
const BACKGROUND_NICE = 10;
let lowered = false;
/**
 * Lets the event loop win the CPU from password hashing: lowers every thread of this process
 * but the main one (libuv's thread pool, where argon2 runs, and V8's helper threads) to nice
 * +10, once, on Linux. Without it a hash (tens of ms of CPU) and the event loop share a busy
 * core evenly, so every signed-in request waits behind the login burst; with it the loop
 * preempts the hash at once, and hashing keeps roughly a tenth of the core under full load
 * (bounded by the hashing queue, so logins slow down rather than pile up). Raising a nice value
 * needs no privilege; lowering it back would, so this never undoes itself. Best effort: any
 * failure (no /proc, a sandbox) leaves priorities as they were.
 *
 * Call it after the thread pool exists (after the first hash): threads created later inherit
 * the main thread's priority instead.
 */
export function yieldBackgroundThreads() {
    if (lowered || process.platform !== "linux")
        return;
    lowered = true;
    let tids;
    try {
        tids = readdirSync("/proc/self/task");
    }
    catch {
        return;
    }
    for (const tid of tids) {
        const id = Number(tid);
        if (!Number.isSafeInteger(id) || id === process.pid)
            continue;
        try {
            setPriority(id, BACKGROUND_NICE);
        }
        catch {
            // A thread that just ended, or a sandbox that forbids it: leave it.
        }
    }
}
