import type { Admission, CredentialStore, KeptCredential } from "../ports/credential-store.js";
import { PENDING_DELETION } from "../ports/credential-store.js";
import type { UserStore } from "../ports/user-store.js";
import type { PublicUser, UserRecord } from "../types.js";
import { passwordFingerprint } from "./email-tokens.js";

/** The user copy every session and access token reads, and the moment it is of. */
export function userCopy(user: UserRecord, serialize: (user: UserRecord) => PublicUser): { json: string; at: number } {
  return { json: JSON.stringify(serialize(user)), at: user.updatedAt };
}

/** What a sign-in that verified `user`'s password hash commits against. */
export function admissionOf(user: UserRecord, serialize: (user: UserRecord) => PublicUser): Admission {
  return { pwd: passwordFingerprint(user.passwordHash), user: userCopy(user, serialize) };
}

export interface CredentialsDeps {
  store: CredentialStore;
  users: UserStore;
  serialize: (user: UserRecord) => PublicUser;
  now: () => number;
}

/**
 * The rules of a user's credential record (ports/credential-store.ts): every change that must
 * be seen by, or must end, the user's sessions and token families goes through here, as one
 * atomic commit after the user store has the change.
 *
 * A password change or a deletion spans two stores (the user store, then the record), so it is
 * marked in the record first (`prepare`). If an outage cuts it between the two, the mark stays;
 * once it is older than the grace period, the next use of any credential of the user settles
 * it against the user store ({@link settle}): the change is committed if the user store has it,
 * dropped if not. Either way the outcome is the old state or the new one, never a mix.
 */
export class Credentials {
  constructor(private readonly deps: CredentialsDeps) {}

  private copy(user: UserRecord): { json: string; at: number } {
    return userCopy(user, this.deps.serialize);
  }

  /** What a sign-in that verified `user`'s password hash commits against. */
  admission(user: UserRecord): Admission {
    return admissionOf(user, this.deps.serialize);
  }

  /** After a change to the user other than the password (verified, email, profile, attributes). */
  async userChanged(user: UserRecord): Promise<void> {
    await this.deps.store.commit(user.id, { user: this.copy(user) });
  }

  /**
   * Sets a new password hash through `write` (the user store's update) and ends every credential
   * of the user but `keep`. Resolves the updated user, or null when `write` found no user.
   */
  async changePassword(userId: string, passwordHash: string, write: () => Promise<UserRecord | null>, keep?: KeptCredential): Promise<UserRecord | null> {
    const pwd = passwordFingerprint(passwordHash);
    await this.deps.store.prepare(userId, pwd, this.deps.now());
    const user = await write();
    if (!user) {
      await this.deps.store.commit(userId, { settles: pwd });
      return null;
    }
    await this.deps.store.commit(userId, { pwd, revoke: true, keep, user: this.copy(user), settles: pwd });
    return user;
  }

  /** The same password under a new hash (parameters upgraded at sign-in): nothing ends. */
  async rehashed(user: UserRecord): Promise<void> {
    await this.deps.store.commit(user.id, { pwd: passwordFingerprint(user.passwordHash), rehash: true, user: this.copy(user) });
  }

  /** Deletes the user through `remove` and ends every credential of theirs. Resolves whether a user was deleted. */
  async deleteUser(userId: string, remove: () => Promise<boolean>): Promise<boolean> {
    await this.deps.store.prepare(userId, PENDING_DELETION, this.deps.now());
    if (!(await remove())) {
      await this.deps.store.commit(userId, { settles: PENDING_DELETION });
      return false;
    }
    await this.deps.store.commit(userId, { gone: true });
    return true;
  }

  /** Ends every credential of the user but `keep` ("sign out everywhere else"). */
  async revokeAll(userId: string, keep?: KeptCredential): Promise<void> {
    await this.deps.store.commit(userId, { revoke: true, keep });
  }

  /**
   * Brings the record in line with the user store: a change stuck in flight is committed or
   * dropped; a password changed or a user deleted outside the library ends the user's
   * credentials; the user copy is refreshed. `auth.users.changed(id)` is this.
   */
  async settle(userId: string): Promise<void> {
    const state = await this.deps.store.read(userId);
    const user = await this.deps.users.findById(userId);
    if (!user) {
      if (!state.gone) await this.deps.store.commit(userId, { gone: true });
      return;
    }
    const pwd = passwordFingerprint(user.passwordHash);
    const passwordMoved = state.pwd !== undefined && state.pwd !== pwd;
    await this.deps.store.commit(userId, { user: this.copy(user), settles: state.pending?.value, ...(passwordMoved ? { pwd, revoke: true } : {}) });
  }
}
