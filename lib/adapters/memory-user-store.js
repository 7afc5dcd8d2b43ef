import { copyAttributes, mergeAttributes, newUserRecord } from "./user-store-attributes.js";
/**
 * A {@link UserStore} in process memory, for development and tests: users vanish on restart and
 * are not shared between processes. Every method hands out copies, so callers cannot change the
 * stored users by mutating a result (attributes included).
 *
 * @example
 * ```ts
 * const auth = authRouter({ storage: { inMemory: true, users: new MemoryUserStore() }, secret, appUrl });
 * ```
 */
export class MemoryUserStore {
    users = new Map();
    idByEmail = new Map();
    async create(user) {
        if (this.idByEmail.has(user.email))
            return null;
        const record = newUserRecord(user);
        this.users.set(record.id, record);
        this.idByEmail.set(record.email, record.id);
        return copy(record);
    }
    async findById(id) {
        const user = this.users.get(id);
        return user ? copy(user) : null;
    }
    async findByEmail(email) {
        const id = this.idByEmail.get(email);
        // The same two reads for a known and an unknown address, like the Redis store.
        const user = await this.findById(id ?? "");
        return id === undefined ? null : user;
    }
    async update(id, patch) {
        const user = this.users.get(id);
        if (!user)
            return null;
        // Merged first: a patch with an invalid attribute throws before anything has changed.
        const attributes = mergeAttributes(user.attributes, patch.attributes);
        if (patch.name !== undefined)
            user.name = patch.name;
        if (patch.emailVerified !== undefined)
            user.emailVerified = patch.emailVerified;
        if (patch.passwordHash !== undefined)
            user.passwordHash = patch.passwordHash;
        user.attributes = attributes;
        user.updatedAt = patch.updatedAt;
        return copy(user);
    }
    async changeEmail(id, email, updatedAt) {
        const user = this.users.get(id);
        if (!user)
            return null;
        if (user.email === email)
            return copy(user);
        if (this.idByEmail.has(email))
            return "email_taken";
        this.idByEmail.delete(user.email);
        this.idByEmail.set(email, id);
        user.email = email;
        user.updatedAt = updatedAt;
        return copy(user);
    }
    async delete(id) {
        const user = this.users.get(id);
        if (!user)
            return false;
        this.users.delete(id);
        this.idByEmail.delete(user.email);
        return true;
    }
}
function copy(user) {
    return { ...user, attributes: copyAttributes(user.attributes) };
}
