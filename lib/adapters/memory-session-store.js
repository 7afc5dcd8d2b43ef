import { parseSessionId } from "../ports/session-store.js";
/**
 * Sessions in this process's memory (dev and tests), with the rules of the Redis scripts: each
 * operation checks the user's record in the same synchronous step as its own change.
 */
export class MemorySessionStore {
    credentials;
    clock;
    /** Signed-in sessions by user, then by id. */
    byUser = new Map();
    plain = new Map();
    constructor(credentials, clock = Date.now) {
        this.credentials = credentials;
        this.clock = clock;
        credentials.onKeep((userId, keep, epoch) => {
            if (!("session" in keep))
                return;
            const s = this.byUser.get(userId)?.get(keep.session);
            if (s)
                s.epoch = epoch;
        });
    }
    sessions(userId) {
        let m = this.byUser.get(userId);
        if (!m)
            this.byUser.set(userId, (m = new Map()));
        return m;
    }
    /** The live session, or undefined (an ended one is dropped). */
    live(sessionId, now) {
        const owned = parseSessionId(sessionId);
        if (!owned)
            return undefined;
        const all = this.byUser.get(owned.userId);
        const stored = all?.get(sessionId);
        if (!stored)
            return undefined;
        const view = this.credentials.view(owned.userId, now);
        if (view.gone || stored.epoch !== view.epoch || stored.expiresAt <= this.clock() || stored.deadline < now) {
            all.delete(sessionId);
            return undefined;
        }
        return { userId: owned.userId, stored };
    }
    async read(sessionId, now) {
        const owned = parseSessionId(sessionId);
        if (owned && this.credentials.view(owned.userId, now).stuck && this.byUser.get(owned.userId)?.has(sessionId))
            return { status: "pending" };
        const found = this.live(sessionId, now);
        const user = found && this.credentials.view(found.userId, now).user;
        return found && user ? { status: "live", body: found.stored.body, user } : { status: "none" };
    }
    async create(sessionId, body, admission, entry, limits, now) {
        const owned = parseSessionId(sessionId);
        if (!owned)
            throw new TypeError("MemorySessionStore: not a signed-in session id");
        const verdict = this.credentials.admit(owned.userId, admission.pwd, admission.user, now);
        if (verdict !== "ok")
            return verdict;
        const all = this.sessions(owned.userId);
        for (const id of [...all.keys()])
            this.live(id, now);
        const oldest = [...all.entries()].sort(([, a], [, b]) => a.deadline - b.deadline);
        for (const [id] of oldest.slice(0, Math.max(0, all.size - limits.maxPerUser + 1)))
            all.delete(id);
        all.set(sessionId, { epoch: this.credentials.view(owned.userId, now).epoch, body, handle: entry.handle, deadline: entry.deadline, expiresAt: this.clock() + limits.ttl * 1000 });
        return "created";
    }
    async write(sessionId, body, ttl) {
        const found = this.live(sessionId, 0);
        if (!found)
            return false;
        Object.assign(found.stored, { body, expiresAt: this.clock() + ttl * 1000 });
        return true;
    }
    async rotate(oldId, newId, body, handle, ttl) {
        const found = this.live(oldId, 0);
        if (!found)
            return false;
        const all = this.sessions(found.userId);
        all.delete(oldId);
        if (found.stored.handle !== handle || parseSessionId(newId)?.userId !== found.userId)
            return false;
        all.set(newId, { ...found.stored, body, expiresAt: this.clock() + ttl * 1000 });
        return true;
    }
    async destroy(sessionId) {
        const owned = parseSessionId(sessionId);
        if (owned)
            this.byUser.get(owned.userId)?.delete(sessionId);
        else
            this.plain.delete(sessionId);
    }
    async list(userId, now) {
        const out = [];
        for (const id of [...(this.byUser.get(userId)?.keys() ?? [])]) {
            const found = this.live(id, now);
            if (found)
                out.push({ sessionId: id, body: found.stored.body });
        }
        return out;
    }
    async revoke(userId, handle) {
        const all = this.byUser.get(userId);
        for (const [id, s] of all ?? []) {
            if (s.handle === handle)
                return all.delete(id);
        }
        return false;
    }
    async readPlain(sessionId) {
        const s = this.plain.get(sessionId);
        return s && s.expiresAt > this.clock() ? s.body : null;
    }
    async writePlain(sessionId, body, ttl) {
        this.plain.set(sessionId, { body, expiresAt: this.clock() + ttl * 1000 });
    }
}
