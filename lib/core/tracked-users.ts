import type { UserStore } from "../ports/user-store.js";
import type { NewUser, UserPatch, UserRecord } from "../types.js";
import type { Credentials } from "./credentials.js";

/**
 * The user store as the app sees it (`auth.users`): every change made through it is committed
 * to the user's credential record as well, so sessions and access tokens see it on their next
 * request (a new password, or a deletion, ends them). A change made around it (straight in the
 * app's SQL) is announced with {@link AppUsers.changed}.
 */
export interface AppUsers extends UserStore {
  /**
   * Tells Gatehouse that the user changed outside it: their sessions and access tokens see the
   * stored user on their next request; a changed password or a deleted user ends them.
   */
  changed(id: string): Promise<void>;
}

export function trackedUsers(users: UserStore, credentials: Credentials): AppUsers {
  return {
    create: (user: NewUser) => users.create(user),
    findById: (id: string) => users.findById(id),
    findByEmail: (email: string) => users.findByEmail(email),
    async update(id: string, patch: UserPatch): Promise<UserRecord | null> {
      if (patch.passwordHash !== undefined) return credentials.changePassword(id, patch.passwordHash, () => users.update(id, patch));
      const updated = await users.update(id, patch);
      if (updated) await credentials.userChanged(updated);
      return updated;
    },
    async changeEmail(id: string, email: string, updatedAt: number) {
      const changed = await users.changeEmail(id, email, updatedAt);
      if (changed && changed !== "email_taken") await credentials.userChanged(changed);
      return changed;
    },
    delete: (id: string) => credentials.deleteUser(id, () => users.delete(id)),
    changed: (id: string) => credentials.settle(id),
  };
}
