/**
 * Second-factor state in this process's memory (dev and tests). Every method changes its state
 * in one synchronous step, so it is atomic within the process.
 */
export class MemoryMfaStore {
    states = new Map();
    setups = new Map();
    pending = new Map();
    async enabled(userId) {
        return this.states.has(userId);
    }
    async get(userId) {
        const s = this.states.get(userId);
        return s ? { sealedSecret: s.sealedSecret, enabledAt: s.enabledAt, lastStep: s.lastStep, recoveryCodesLeft: s.recovery.size } : null;
    }
    async putSetup(userId, sealedSecret, ttlSeconds) {
        this.setups.set(userId, { sealed: sealedSecret, until: Date.now() + ttlSeconds * 1000 });
    }
    async getSetup(userId) {
        const s = this.setups.get(userId);
        return s && s.until > Date.now() ? s.sealed : null;
    }
    async enable(userId, sealedSecret, step, recoveryHashes, now) {
        if (this.states.has(userId) || this.setups.get(userId)?.sealed !== sealedSecret)
            return false;
        this.states.set(userId, { sealedSecret, enabledAt: now, lastStep: step, recovery: new Set(recoveryHashes) });
        this.setups.delete(userId);
        return true;
    }
    async disable(userId) {
        this.states.delete(userId);
        this.setups.delete(userId);
        this.pending.delete(userId);
    }
    async replaceRecoveryCodes(userId, hashes) {
        const s = this.states.get(userId);
        if (!s)
            return false;
        s.recovery = new Set(hashes);
        return true;
    }
    async useStep(userId, step) {
        const s = this.states.get(userId);
        if (!s || step <= s.lastStep)
            return false;
        s.lastStep = step;
        return true;
    }
    async useRecoveryCode(userId, hash) {
        const s = this.states.get(userId);
        if (!s || !s.recovery.delete(hash))
            return null;
        return s.recovery.size;
    }
    async createChallenge(userId, id, challenge, now, cap) {
        const mine = this.pending.get(userId) ?? new Map();
        for (const [k, c] of mine)
            if (c.expiresAt <= now)
                mine.delete(k);
        const byAge = [...mine].sort(([, a], [, b]) => a.expiresAt - b.expiresAt);
        while (byAge.length >= cap)
            mine.delete(byAge.shift()[0]);
        mine.set(id, { ...challenge });
        this.pending.set(userId, mine);
    }
    async findChallenge(userId, id, now) {
        const c = this.live(userId, id, now);
        return c ? { ...c } : null;
    }
    async completeWithStep(userId, id, step, now) {
        const s = this.states.get(userId);
        if (!this.live(userId, id, now) || !s)
            return { status: "gone" };
        if (step <= s.lastStep)
            return this.failChallenge(userId, id, now);
        s.lastStep = step;
        this.pending.get(userId).delete(id);
        return { status: "ok", recoveryCodesLeft: s.recovery.size };
    }
    async completeWithRecoveryCode(userId, id, hash, now) {
        const s = this.states.get(userId);
        if (!this.live(userId, id, now) || !s)
            return { status: "gone" };
        if (!s.recovery.delete(hash))
            return this.failChallenge(userId, id, now);
        this.pending.get(userId).delete(id);
        return { status: "ok", recoveryCodesLeft: s.recovery.size };
    }
    async failChallenge(userId, id, now) {
        const c = this.live(userId, id, now);
        if (!c)
            return { status: "gone" };
        c.attemptsLeft -= 1;
        if (c.attemptsLeft <= 0)
            this.pending.get(userId).delete(id);
        return { status: "wrong", attemptsLeft: Math.max(0, c.attemptsLeft) };
    }
    async deleteAll(userId) {
        await this.disable(userId);
    }
    live(userId, id, now) {
        const c = this.pending.get(userId)?.get(id);
        return c && c.expiresAt > now && c.attemptsLeft > 0 ? c : undefined;
    }
}
