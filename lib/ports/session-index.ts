/**
 * The per-user index of live session ids (server-side sessions) that lets Gatehouse list and
 * revoke every session of a user. Entries carry the latest moment the session can live; the
 * index forgets entries past it, so it never grows without bound. It may hold ids of sessions
 * that already ended: callers treat it as a superset and check the session itself.
 */
export interface SessionIndex {
  /** Records that `sessionId` belongs to `userId` and cannot outlive `expiresAt` (ms); drops entries past `now`. */
  add(userId: string, sessionId: string, expiresAt: number, now: number): Promise<void>;
  /** Forgets one session of the user. */
  remove(userId: string, sessionId: string): Promise<void>;
  /** The session ids of the user that may still be alive at `now` (ms). */
  list(userId: string, now: number): Promise<string[]>;
}
