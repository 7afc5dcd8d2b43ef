import type { Admission } from "../ports/credential-store.js";
import type { CreateResult, FamilyRead, NewFamily, RefreshFamily, RefreshStore, RotateResult } from "../ports/refresh-store.js";
import type { PublicUser } from "../types.js";
import type { MemoryCredentialStore } from "./memory-credential-store.js";

/** A stored family: everything but the user copy, which is the record's. */
type Stored = Omit<RefreshFamily, "user"> & { rotAt?: number };

/**
 * Refresh-token families in this process's memory (dev and tests), checked against the
 * credential records of a {@link MemoryCredentialStore} with the same rules as the Redis
 * scripts. Every method is synchronous inside, so each is atomic here.
 */
export class MemoryRefreshStore implements RefreshStore {
  /** Per user, their families in the order they began (the oldest first). */
  private readonly byUser = new Map<string, Map<string, Stored>>();

  /** @param credentials - The records the families are checked against (the one the app commits changes to). */
  constructor(private readonly credentials: MemoryCredentialStore) {}

  /** Whether the record's changes that keep a family re-stamp it here (set up with the first family: a store that never holds one needs none). */
  private keeping = false;

  private keepFamilies(): void {
    if (this.keeping) return;
    this.keeping = true;
    this.credentials.onKeep((userId, keep, epoch) => {
      const f = "family" in keep ? this.byUser.get(userId)?.get(keep.family) : undefined;
      if (f) f.epoch = epoch;
    });
  }

  private families(userId: string): Map<string, Stored> {
    let m = this.byUser.get(userId);
    if (!m) this.byUser.set(userId, (m = new Map()));
    return m;
  }

  /** The live family with the record's user copy; a dead one (expired, older epoch, user gone) is deleted. */
  private check(userId: string, familyId: string, now: number, listing = false): { family: RefreshFamily; stored: Stored } | "ended" | "pending" {
    const stored = this.byUser.get(userId)?.get(familyId);
    if (!stored) return "ended";
    const c = this.credentials.view(userId, now);
    if (!this.credentials.current(userId, stored.epoch, now) || c.user === undefined || stored.expiresAt <= now) {
      this.byUser.get(userId)!.delete(familyId);
      return "ended";
    }
    if (c.stuck && !listing) return "pending";
    return { family: withUser(stored, c.user), stored };
  }

  async create(family: NewFamily, admission: Admission, maxPerUser: number): Promise<CreateResult> {
    this.keepFamilies();
    const now = family.createdAt;
    const verdict = this.credentials.admit(family.userId, admission.pwd, admission.user, now);
    if (verdict !== "ok") return { status: verdict };
    const c = this.credentials.view(family.userId, now);
    const mine = this.families(family.userId);
    // Ended families (past their end, or of an older epoch) leave before the cap counts.
    for (const [id, f] of mine) if (f.expiresAt <= now || !this.credentials.current(family.userId, f.epoch, now)) mine.delete(id);
    const stored: Stored = { ...structuredClone(family), epoch: c.epoch, n: 0 };
    mine.set(family.id, stored);
    // Insertion order is sign-in order: the oldest ends first.
    for (const id of mine.keys()) {
      if (mine.size <= maxPerUser) break;
      mine.delete(id);
    }
    return { status: "created", family: withUser(stored, c.user!) };
  }

  async get(userId: string, familyId: string, now: number): Promise<FamilyRead> {
    const r = this.check(userId, familyId, now);
    return typeof r === "string" ? { status: r } : { status: "live", family: r.family };
  }

  async rotate(userId: string, familyId: string, n: number, now: number, graceMs: number): Promise<RotateResult> {
    const r = this.check(userId, familyId, now);
    if (r === "ended") return { status: "invalid" };
    if (r === "pending") return { status: r };
    const { stored } = r;
    if (n === stored.n) {
      Object.assign(stored, { n: n + 1, rotAt: now, seenAt: now });
      return { status: "rotated", family: { ...r.family, n: n + 1, seenAt: now } };
    }
    if (n === stored.n - 1 && now - (stored.rotAt ?? 0) <= graceMs) return { status: "grace", family: r.family };
    if (n > stored.n) return { status: "invalid" };
    this.byUser.get(userId)!.delete(familyId);
    return { status: "reuse" };
  }

  async authenticated(userId: string, familyId: string, authAt: number): Promise<void> {
    const f = this.byUser.get(userId)?.get(familyId);
    if (!f) return;
    f.authAt = authAt;
    delete f.restricted;
  }

  async list(userId: string, now: number): Promise<RefreshFamily[]> {
    const out: RefreshFamily[] = [];
    for (const id of [...(this.byUser.get(userId)?.keys() ?? [])]) {
      const r = this.check(userId, id, now, true);
      if (typeof r !== "string") out.push(r.family);
    }
    return out;
  }

  async delete(userId: string, familyId: string): Promise<boolean> {
    return this.byUser.get(userId)?.delete(familyId) ?? false;
  }
}

function withUser(stored: Stored, user: string): RefreshFamily {
  const family: RefreshFamily & { rotAt?: number } = { ...structuredClone(stored), user: JSON.parse(user) as PublicUser };
  delete family.rotAt;
  return family;
}
