import type { SessionIndex } from "../ports/session-index.js";

/** The per-user session index in this process's memory (dev and tests). */
export class MemorySessionIndex implements SessionIndex {
  private readonly byUser = new Map<string, Map<string, number>>();

  async add(userId: string, sessionId: string, expiresAt: number, now: number): Promise<void> {
    const entries = this.byUser.get(userId) ?? new Map<string, number>();
    entries.set(sessionId, expiresAt);
    for (const [id, until] of entries) if (until < now) entries.delete(id);
    this.byUser.set(userId, entries);
  }

  async remove(userId: string, sessionId: string): Promise<void> {
    this.byUser.get(userId)?.delete(sessionId);
  }

  async list(userId: string, now: number): Promise<string[]> {
    return [...(this.byUser.get(userId) ?? [])].filter(([, until]) => until >= now).map(([id]) => id);
  }
}
