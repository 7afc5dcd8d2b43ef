import type { RefreshFamily, RefreshStore, RotateResult } from "../ports/refresh-store.js";
import type { PublicUser } from "../types.js";

interface Entry {
  family: RefreshFamily;
  cur: string;
  prev?: string;
  prevAt?: number;
  next?: string;
}

/** Refresh-token families in this process's memory (dev and tests). Every method is synchronous inside, so atomic here. */
export class MemoryRefreshStore implements RefreshStore {
  private readonly entries = new Map<string, Entry>();

  private key(userId: string, familyId: string): string {
    return `${userId}\u0000${familyId}`;
  }

  async create(family: RefreshFamily, tokenHash: string): Promise<void> {
    this.entries.set(this.key(family.userId, family.id), { family: structuredClone(family), cur: tokenHash });
  }

  async get(userId: string, familyId: string, now: number): Promise<RefreshFamily | null> {
    const e = this.entries.get(this.key(userId, familyId));
    return e && e.family.expiresAt > now ? structuredClone(e.family) : null;
  }

  async rotate(userId: string, familyId: string, presentedHash: string, next: { hash: string; sealed: string; user: PublicUser; pwd: string }, now: number, graceMs: number): Promise<RotateResult> {
    const key = this.key(userId, familyId);
    const e = this.entries.get(key);
    if (!e) return { status: "invalid" };
    if (e.family.expiresAt <= now || e.family.pwd !== next.pwd) {
      this.entries.delete(key);
      return { status: "invalid" };
    }
    if (e.cur === presentedHash) {
      Object.assign(e, { prev: presentedHash, prevAt: now, next: next.sealed, cur: next.hash });
      e.family.seenAt = now;
      e.family.user = structuredClone(next.user);
      return { status: "rotated", family: structuredClone(e.family) };
    }
    if (e.prev === presentedHash && now - (e.prevAt ?? 0) <= graceMs) {
      return { status: "grace", family: structuredClone(e.family), sealedNext: e.next ?? "" };
    }
    this.entries.delete(key);
    return { status: "reuse" };
  }

  async authenticated(userId: string, familyId: string, authAt: number): Promise<void> {
    const e = this.entries.get(this.key(userId, familyId));
    if (!e) return;
    e.family.authAt = authAt;
    delete e.family.restricted;
  }

  async updateUser(user: PublicUser): Promise<void> {
    for (const e of this.entries.values()) if (e.family.userId === user.id) e.family.user = structuredClone(user);
  }

  async list(userId: string, now: number): Promise<RefreshFamily[]> {
    return [...this.entries.values()].filter((e) => e.family.userId === userId && e.family.expiresAt > now).map((e) => structuredClone(e.family));
  }

  async delete(userId: string, familyId: string): Promise<boolean> {
    return this.entries.delete(this.key(userId, familyId));
  }

  async deleteAll(userId: string, keep?: string): Promise<number> {
    let n = 0;
    for (const [key, e] of this.entries) {
      if (e.family.userId === userId && e.family.id !== keep) {
        this.entries.delete(key);
        n++;
      }
    }
    return n;
  }
}
