import { PENDING_GRACE_MS } from "../ports/credential-store.js";
/**
 * The credential records in this process's memory (dev and tests), with the same rules as the
 * Redis scripts: the memory session and refresh stores call {@link view} and {@link admit} in
 * the same synchronous step as their own change, which is what makes them atomic here.
 */
export class MemoryCredentialStore {
    records = new Map();
    record(userId) {
        let r = this.records.get(userId);
        if (!r)
            this.records.set(userId, (r = { epoch: 0, gone: false, at: -1 }));
        return r;
    }
    view(userId, now) {
        const r = this.records.get(userId);
        if (!r)
            return { epoch: 0, gone: false, stuck: false, user: undefined };
        return { epoch: r.epoch, gone: r.gone, stuck: r.pending !== undefined && now - r.pending.at > PENDING_GRACE_MS, user: r.user };
    }
    /** Compare-and-create: may a sign-in that verified the hash with fingerprint `pwd` begin a credential? */
    admit(userId, pwd, user, now) {
        const view = this.view(userId, now);
        if (view.gone)
            return "refused";
        if (view.stuck)
            return "pending";
        const r = this.record(userId);
        if (r.pwd !== undefined && r.pwd !== pwd && r.prev !== pwd)
            return "refused";
        r.pwd ??= pwd;
        if (r.at <= user.at)
            Object.assign(r, { user: user.json, at: user.at });
        return "ok";
    }
    async read(userId) {
        const r = this.records.get(userId);
        return { epoch: r?.epoch ?? 0, gone: r?.gone ?? false, pwd: r?.pwd, pending: r?.pending };
    }
    async prepare(userId, pending, now) {
        this.record(userId).pending = { value: pending, at: now };
    }
    /** `keep` is re-stamped by the memory session and refresh stores through {@link onKeep}. */
    async commit(userId, change) {
        const r = this.record(userId);
        if (change.revoke || change.gone)
            r.epoch += 1;
        if (change.pwd !== undefined) {
            r.prev = change.rehash ? r.pwd : undefined;
            r.pwd = change.pwd;
        }
        if (change.user && r.at <= change.user.at)
            Object.assign(r, { user: change.user.json, at: change.user.at });
        if (change.settles !== undefined && r.pending?.value === change.settles)
            r.pending = undefined;
        if (change.gone)
            Object.assign(r, { gone: true, user: undefined, pwd: undefined, prev: undefined, pending: undefined });
        if (change.keep)
            for (const listener of this.keepers)
                listener(userId, change.keep, r.epoch);
    }
    keepers = [];
    /** Lets a memory store re-stamp the credential a change keeps. */
    onKeep(listener) {
        this.keepers.push(listener);
    }
}
