export function trackedUsers(users, credentials) {
    return {
        create: (user) => users.create(user),
        findById: (id) => users.findById(id),
        findByEmail: (email) => users.findByEmail(email),
        async update(id, patch) {
            if (patch.passwordHash !== undefined)
                return credentials.changePassword(id, patch.passwordHash, () => users.update(id, patch));
            const updated = await users.update(id, patch);
            if (updated)
                await credentials.userChanged(updated);
            return updated;
        },
        async changeEmail(id, email, updatedAt) {
            const changed = await users.changeEmail(id, email, updatedAt);
            if (changed && changed !== "email_taken")
                await credentials.userChanged(changed);
            return changed;
        },
        delete: (id) => credentials.deleteUser(id, () => users.delete(id)),
        changed: (id) => credentials.settle(id),
    };
}
