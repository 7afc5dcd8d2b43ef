import { randomBytes } from "node:crypto";
import type { Admission } from "./credential-store.js";

/**
 * A signed-in session's id: `<userId>.<256 random bits, base64url>`. The user id in front puts
 * the session in its user's slot, next to the credential record it is checked against. The
 * random part alone is the secret; user ids hold no `.` after their last one (base64url, UUIDs,
 * integers).
 */
export function newSessionId(userId: string): string {
  return `${userId}.${randomBytes(32).toString("base64url")}`;
}

const RAND = /^[A-Za-z0-9_-]{43}$/;

/** The owner and random part of a signed-in session's id; null for any other id. */
export function parseSessionId(sessionId: string): { userId: string; rand: string } | null {
  const dot = sessionId.lastIndexOf(".");
  if (dot <= 0) return null;
  const rand = sessionId.slice(dot + 1);
  return RAND.test(rand) ? { userId: sessionId.slice(0, dot), rand } : null;
}

/**
 * Where server-side sessions live. A signed-in session (id `<userId>.<rand>`, {@link newSessionId})
 * is stored in its user's slot, stamped with the epoch of the user's credential record
 * (ports/credential-store.ts), and listed in the user's index under a handle that stays the
 * same across rotations. Every operation is one atomic step that also checks the record, so a
 * session of an ended epoch or a deleted user is never read, written, rotated or listed.
 * Bodies are the session's JSON without its user copy: reads return the record's copy.
 */
export type SessionRead = { status: "live"; body: string; user: string } | { status: "none" } | { status: "pending" };

/** A new session's place in its user's index. */
export interface SessionEntry {
  handle: string;
  /** The latest moment (ms) it can live. */
  deadline: number;
}

export interface SessionLimits {
  /** Seconds the store keeps the session (idle timeout, never past the absolute one). */
  ttl: number;
  /** At most this many sessions per user: beyond, the oldest ends. */
  maxPerUser: number;
  /** Seconds the index outlives the last sign-in (the absolute timeout). */
  indexTtl: number;
}

export interface SessionStore {
  /** A signed-in session with the user's current copy; `pending` when the user's record has a change stuck in flight. */
  read(sessionId: string, now: number): Promise<SessionRead>;
  /** Begins a session unless the sign-in's password is no longer the user's or the user is gone. */
  create(sessionId: string, body: string, admission: Admission, entry: SessionEntry, limits: SessionLimits, now: number): Promise<"created" | "refused" | "pending">;
  /** Overwrites a live session (same epoch); false when it ended meanwhile (nothing is written). */
  write(sessionId: string, body: string, ttl: number): Promise<boolean>;
  /** Moves a live session to a new id under the same handle, in one step; false when it ended. */
  rotate(oldId: string, newId: string, body: string, handle: string, ttl: number): Promise<boolean>;
  destroy(sessionId: string): Promise<void>;
  /** The user's live sessions (id and body). */
  list(userId: string, now: number): Promise<{ sessionId: string; body: string }[]>;
  /** Ends the user's session with this handle; false when none has it. */
  revoke(userId: string, handle: string): Promise<boolean>;
  /** A session the app keeps for a visitor who is not signed in (any other id). */
  readPlain(sessionId: string): Promise<string | null>;
  writePlain(sessionId: string, body: string, ttl: number): Promise<void>;
}
