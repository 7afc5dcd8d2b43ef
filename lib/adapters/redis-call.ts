import type { Cluster, Redis } from "ioredis";
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
    const timer = setTimeout(() => {
      reject(unavailable(new Error(`Redis did not answer within ${timeoutMs} ms`)));
    }, timeoutMs);
    // The rejection handler stays attached after a timeout, so a late rejection is never
    // unhandled; settling an already rejected promise again is a no-op.
    op.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof AuthError ? err : unavailable(err));
      },
    );
  });
}

function unavailable(cause: unknown): AuthError {
  return new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1, cause });
}

/** Runs a Lua script on `keys` (all of one hash tag, for a Cluster) with string arguments. */
export function evalScript(redis: RedisClient, script: string, keys: string[], args: string[]): Promise<unknown> {
  const run = redis.eval.bind(redis) as (script: string, numKeys: number, ...rest: string[]) => Promise<unknown>;
  return run(script, keys.length, ...keys, ...args);
}
