import type { SessionMeta } from "../types.js";

/** Session lifetimes, in seconds. */
export interface SessionTimeouts {
  idleTimeout: number;
  absoluteTimeout: number;
}

/** True when the session is past its idle or absolute timeout at `now` (ms). */
export function sessionExpired(meta: SessionMeta, now: number, t: SessionTimeouts): boolean {
  return now - meta.seenAt > t.idleTimeout * 1000 || now - meta.createdAt > t.absoluteTimeout * 1000;
}

/** The latest moment (ms) a session can live, however active: its absolute deadline. */
export function sessionDeadline(meta: Pick<SessionMeta, "createdAt">, t: SessionTimeouts): number {
  return meta.createdAt + t.absoluteTimeout * 1000;
}

/**
 * How long (seconds) the store keeps a session after a write at `now`: until the idle timeout,
 * never past the absolute one. Sessions without a user (a CSRF token only) get the idle timeout.
 */
export function sessionTtl(meta: SessionMeta | undefined, now: number, t: SessionTimeouts): number {
  if (!meta) return t.idleTimeout;
  const until = Math.min(meta.seenAt + t.idleTimeout * 1000, sessionDeadline(meta, t));
  return Math.ceil((until - now) / 1000);
}
