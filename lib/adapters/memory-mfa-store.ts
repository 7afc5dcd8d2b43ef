import type { ChallengeOutcome, MfaRecord, MfaStore, PendingChallenge } from "../ports/mfa-store.js";

interface State {
  sealedSecret: string;
  enabledAt: number;
  lastStep: number;
  recovery: Set<string>;
}

/**
 * Second-factor state in this process's memory (dev and tests). Every method changes its state
 * in one synchronous step, so it is atomic within the process.
 */
export class MemoryMfaStore implements MfaStore {
  private readonly states = new Map<string, State>();
  private readonly setups = new Map<string, { sealed: string; until: number }>();
  private readonly pending = new Map<string, Map<string, PendingChallenge>>();

  async enabled(userId: string): Promise<boolean> {
    return this.states.has(userId);
  }

  async get(userId: string): Promise<MfaRecord | null> {
    const s = this.states.get(userId);
    return s ? { sealedSecret: s.sealedSecret, enabledAt: s.enabledAt, lastStep: s.lastStep, recoveryCodesLeft: s.recovery.size } : null;
  }

  async putSetup(userId: string, sealedSecret: string, ttlSeconds: number): Promise<void> {
    this.setups.set(userId, { sealed: sealedSecret, until: Date.now() + ttlSeconds * 1000 });
  }

  async getSetup(userId: string): Promise<string | null> {
    const s = this.setups.get(userId);
    return s && s.until > Date.now() ? s.sealed : null;
  }

  async enable(userId: string, sealedSecret: string, step: number, recoveryHashes: readonly string[], now: number): Promise<boolean> {
    if (this.states.has(userId) || this.setups.get(userId)?.sealed !== sealedSecret) return false;
    this.states.set(userId, { sealedSecret, enabledAt: now, lastStep: step, recovery: new Set(recoveryHashes) });
    this.setups.delete(userId);
    return true;
  }

  async disable(userId: string): Promise<void> {
    this.states.delete(userId);
    this.setups.delete(userId);
    this.pending.delete(userId);
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<boolean> {
    const s = this.states.get(userId);
    if (!s) return false;
    s.recovery = new Set(hashes);
    return true;
  }

  async useStep(userId: string, step: number): Promise<boolean> {
    const s = this.states.get(userId);
    if (!s || step <= s.lastStep) return false;
    s.lastStep = step;
    return true;
  }

  async useRecoveryCode(userId: string, hash: string): Promise<number | null> {
    const s = this.states.get(userId);
    if (!s || !s.recovery.delete(hash)) return null;
    return s.recovery.size;
  }

  async createChallenge(userId: string, id: string, challenge: PendingChallenge, now: number, cap: number): Promise<void> {
    const mine = this.pending.get(userId) ?? new Map<string, PendingChallenge>();
    for (const [k, c] of mine) if (c.expiresAt <= now) mine.delete(k);
    const byAge = [...mine].sort(([, a], [, b]) => a.expiresAt - b.expiresAt);
    while (byAge.length >= cap) mine.delete(byAge.shift()![0]);
    mine.set(id, { ...challenge });
    this.pending.set(userId, mine);
  }

  async findChallenge(userId: string, id: string, now: number): Promise<PendingChallenge | null> {
    const c = this.live(userId, id, now);
    return c ? { ...c } : null;
  }

  async completeWithStep(userId: string, id: string, step: number, now: number): Promise<ChallengeOutcome> {
    const s = this.states.get(userId);
    if (!this.live(userId, id, now) || !s) return { status: "gone" };
    if (step <= s.lastStep) return this.failChallenge(userId, id, now);
    s.lastStep = step;
    this.pending.get(userId)!.delete(id);
    return { status: "ok", recoveryCodesLeft: s.recovery.size };
  }

  async completeWithRecoveryCode(userId: string, id: string, hash: string, now: number): Promise<ChallengeOutcome> {
    const s = this.states.get(userId);
    if (!this.live(userId, id, now) || !s) return { status: "gone" };
    if (!s.recovery.delete(hash)) return this.failChallenge(userId, id, now);
    this.pending.get(userId)!.delete(id);
    return { status: "ok", recoveryCodesLeft: s.recovery.size };
  }

  async failChallenge(userId: string, id: string, now: number): Promise<ChallengeOutcome> {
    const c = this.live(userId, id, now);
    if (!c) return { status: "gone" };
    c.attemptsLeft -= 1;
    if (c.attemptsLeft <= 0) this.pending.get(userId)!.delete(id);
    return { status: "wrong", attemptsLeft: Math.max(0, c.attemptsLeft) };
  }

  async deleteAll(userId: string): Promise<void> {
    await this.disable(userId);
  }

  private live(userId: string, id: string, now: number): PendingChallenge | undefined {
    const c = this.pending.get(userId)?.get(id);
    return c && c.expiresAt > now && c.attemptsLeft > 0 ? c : undefined;
  }
}
