import type { Admission } from "../ports/credential-store.js";
import { parseSessionId } from "../ports/session-store.js";
import type { SessionEntry, SessionLimits, SessionRead, SessionStore } from "../ports/session-store.js";
import type { MemoryCredentialStore } from "./memory-credential-store.js";

interface Stored {
  epoch: number;
  body: string;
  handle: string;
  deadline: number;
  expiresAt: number;
}

/**
 * Sessions in this process's memory (dev and tests), with the rules of the Redis scripts: each
 * operation checks the user's record in the same synchronous step as its own change.
 */
export class MemorySessionStore implements SessionStore {
  /** Signed-in sessions by user, then by id. */
  private readonly byUser = new Map<string, Map<string, Stored>>();
  private readonly plain = new Map<string, { body: string; expiresAt: number }>();

  constructor(
    private readonly credentials: MemoryCredentialStore,
    private readonly clock: () => number = Date.now,
  ) {
    credentials.onKeep((userId, keep, epoch) => {
      if (!("session" in keep)) return;
      const s = this.byUser.get(userId)?.get(keep.session);
      if (s) s.epoch = epoch;
    });
  }

  private sessions(userId: string): Map<string, Stored> {
    let m = this.byUser.get(userId);
    if (!m) this.byUser.set(userId, (m = new Map()));
    return m;
  }

  /** The live session, or undefined (an ended one is dropped). */
  private live(sessionId: string, now: number): { userId: string; stored: Stored } | undefined {
    const owned = parseSessionId(sessionId);
    if (!owned) return undefined;
    const all = this.byUser.get(owned.userId);
    const stored = all?.get(sessionId);
    if (!stored) return undefined;
    if (!this.credentials.current(owned.userId, stored.epoch, now) || stored.expiresAt <= this.clock() || stored.deadline < now) {
      all!.delete(sessionId);
      return undefined;
    }
    return { userId: owned.userId, stored };
  }

  async read(sessionId: string, now: number): Promise<SessionRead> {
    const owned = parseSessionId(sessionId);
    if (owned && this.credentials.view(owned.userId, now).stuck && this.byUser.get(owned.userId)?.has(sessionId)) return { status: "pending" };
    const found = this.live(sessionId, now);
    const user = found && this.credentials.view(found.userId, now).user;
    return found && user ? { status: "live", body: found.stored.body, user } : { status: "none" };
  }

  async create(sessionId: string, body: string, admission: Admission, entry: SessionEntry, limits: SessionLimits, now: number): Promise<"created" | "refused" | "pending"> {
    const owned = parseSessionId(sessionId);
    if (!owned) throw new TypeError("MemorySessionStore: not a signed-in session id");
    const verdict = this.credentials.admit(owned.userId, admission.pwd, admission.user, now);
    if (verdict !== "ok") return verdict;
    const all = this.sessions(owned.userId);
    for (const id of [...all.keys()]) this.live(id, now);
    const oldest = [...all.entries()].sort(([, a], [, b]) => a.deadline - b.deadline);
    for (const [id] of oldest.slice(0, Math.max(0, all.size - limits.maxPerUser + 1))) all.delete(id);
    all.set(sessionId, { epoch: this.credentials.view(owned.userId, now).epoch, body, handle: entry.handle, deadline: entry.deadline, expiresAt: this.clock() + limits.ttl * 1000 });
    return "created";
  }

  async write(sessionId: string, body: string, ttl: number): Promise<boolean> {
    const found = this.live(sessionId, 0);
    if (!found) return false;
    Object.assign(found.stored, { body, expiresAt: this.clock() + ttl * 1000 });
    return true;
  }

  async rotate(oldId: string, newId: string, body: string, handle: string, ttl: number): Promise<boolean> {
    const found = this.live(oldId, 0);
    if (!found) return false;
    const all = this.sessions(found.userId);
    all.delete(oldId);
    if (found.stored.handle !== handle || parseSessionId(newId)?.userId !== found.userId) return false;
    all.set(newId, { ...found.stored, body, expiresAt: this.clock() + ttl * 1000 });
    return true;
  }

  async destroy(sessionId: string): Promise<void> {
    const owned = parseSessionId(sessionId);
    if (owned) this.byUser.get(owned.userId)?.delete(sessionId);
    else this.plain.delete(sessionId);
  }

  async list(userId: string, now: number): Promise<{ sessionId: string; body: string }[]> {
    const out: { sessionId: string; body: string }[] = [];
    for (const id of [...(this.byUser.get(userId)?.keys() ?? [])]) {
      const found = this.live(id, now);
      if (found) out.push({ sessionId: id, body: found.stored.body });
    }
    return out;
  }

  async revoke(userId: string, handle: string): Promise<boolean> {
    const all = this.byUser.get(userId);
    for (const [id, s] of all ?? []) {
      if (s.handle === handle) return all!.delete(id);
    }
    return false;
  }

  async readPlain(sessionId: string): Promise<string | null> {
    const s = this.plain.get(sessionId);
    return s && s.expiresAt > this.clock() ? s.body : null;
  }

  async writePlain(sessionId: string, body: string, ttl: number): Promise<void> {
    this.plain.set(sessionId, { body, expiresAt: this.clock() + ttl * 1000 });
  }
}
