import { createHash } from "node:crypto";
import type { ChainableCommander, Cluster, Redis } from "ioredis";
import { AuthError } from "../errors.js";

/** A standalone ioredis client or an ioredis Cluster: every Redis adapter accepts either. */
export type RedisClient = Redis | Cluster;

/**
 * Runs one Redis operation under a deadline. Resolves with the operation's result; rejects with
 * `AuthError("SERVICE_UNAVAILABLE")` (503, `Retry-After: 1`, the original error as `cause`) when
 * the operation fails or does not settle within `timeoutMs`, so a stopped or paused Redis turns
 * into a prompt 503 instead of a hung request.
 *
 * @param op - The pending operation (an ioredis command, a script, a chain of commands).
 * @param timeoutMs - The deadline in milliseconds.
 */
export function redisCall<T>(op: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const pending = deadlinesFor(timeoutMs).add(reject);
    // The rejection handler stays attached after a timeout, so a late rejection is never
    // unhandled; settling an already rejected promise again is a no-op.
    op.then(
      (value) => {
        pending.reject = undefined;
        resolve(value);
      },
      (err: unknown) => {
        pending.reject = undefined;
        reject(err instanceof AuthError ? err : unavailable(err));
      },
    );
  });
}

interface Pending {
  readonly deadline: number;
  /** Cleared once the call settled, so a record in the queue holds on to nothing. */
  reject: ((err: AuthError) => void) | undefined;
}

/**
 * The deadlines of every pending call with one `timeoutMs`, and one timer for all of them.
 * A timer per call (setTimeout + clearTimeout, an object each) was measurable on the hot path;
 * here a call costs one small record. Deadlines of one `timeoutMs` come in the order the calls
 * started, so the queue is FIFO: settled calls at its head are dropped as new calls come (most
 * records die young), and when the timer fires overdue ones are rejected and it is re-armed for
 * the first call still pending. It is `unref`'d: a pending command's own socket keeps the
 * process alive.
 */
class Deadlines {
  private queue: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  add(reject: (err: AuthError) => void): Pending {
    const pending: Pending = { deadline: Date.now() + this.timeoutMs, reject };
    this.dropSettled();
    this.queue.push(pending);
    if (!this.timer) this.arm(this.timeoutMs);
    return pending;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, ms));
    this.timer.unref();
  }

  /** Drops the settled calls at the head of the queue. */
  private dropSettled(): void {
    const q = this.queue;
    while (this.head < q.length && q[this.head]!.reject === undefined) this.head++;
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    const q = this.queue;
    while (this.head < q.length) {
      const p = q[this.head]!;
      if (p.reject !== undefined) {
        if (p.deadline > now) break;
        const reject = p.reject;
        p.reject = undefined;
        reject(unavailable(new Error(`Redis did not answer within ${this.timeoutMs} ms`)));
      }
      this.head++;
    }
    this.dropSettled();
    if (this.head < this.queue.length) this.arm(this.queue[this.head]!.deadline - now);
  }
}

const deadlines = new Map<number, Deadlines>();

function deadlinesFor(timeoutMs: number): Deadlines {
  let d = deadlines.get(timeoutMs);
  if (!d) {
    d = new Deadlines(timeoutMs);
    deadlines.set(timeoutMs, d);
  }
  return d;
}

function unavailable(cause: unknown): AuthError {
  return new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1, cause });
}

/** A Lua script and its SHA1, the name Redis caches it under. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

/** Declares a Lua script once, at module load: its SHA1 is computed here, never per call. */
export function lua(source: string): LuaScript {
  return Object.freeze({ source, sha: createHash("sha1").update(source).digest("hex") });
}

/**
 * The one way the Redis adapters talk to Redis: every command, script and transaction under the
 * same per-call deadline ({@link redisCall}).
 */
export class RedisCalls {
  constructor(
    readonly redis: RedisClient,
    readonly timeoutMs: number,
  ) {}

  /** One command (or any pending operation) under the deadline. */
  call<T>(op: Promise<T>): Promise<T> {
    return redisCall(op, this.timeoutMs);
  }

  /**
   * Runs `script` by its SHA1 (EVALSHA: the body is not sent again on every call) and, when
   * this Redis has not cached it yet (NOSCRIPT: first use, a restart, a failover, SCRIPT FLUSH),
   * once in full with EVAL, which caches it. Both route by the first key on a Cluster; every
   * script here touches keys of one hash slot. One deadline covers both attempts.
   */
  script(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const op = this.redis.evalsha(script.sha, keys.length, ...keys, ...args).catch((err: unknown) => {
      if (!(err instanceof Error && err.message.startsWith("NOSCRIPT"))) throw err;
      return this.redis.eval(script.source, keys.length, ...keys, ...args);
    });
    return this.call(op);
  }

  /**
   * Sends the commands `build` queues as one MULTI/EXEC (one round trip; on a Cluster all keys
   * must share a slot) and resolves with their replies. Fails when the transaction or any
   * command in it failed: a write that half happened is an error, never a success.
   *
   * @param what - What the transaction does, for the error message.
   */
  async multi(what: string, build: (tx: ChainableCommander) => ChainableCommander): Promise<unknown[]> {
    const done = build(this.redis.multi())
      .exec()
      .then((result) => {
        if (!result) throw new Error(`${what}: transaction aborted`);
        const failed = result.find(([err]) => err);
        if (failed) throw new Error(`${what} failed`, { cause: failed[0] });
        return result.map(([, reply]) => reply);
      });
    return this.call(done);
  }
}
