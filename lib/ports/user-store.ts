import type { NewUser, UserPatch, UserRecord } from "../types.js";

/**
 * Where users live. Implement it to keep users in your own database; run the exported
 * conformance suite (`express-gatehouse/testing`) against your implementation.
 *
 * Rules every implementation keeps:
 * - an email belongs to at most one user, even under concurrent `create` / `changeEmail`;
 * - emails arrive already normalized; the store compares them byte for byte;
 * - a failure of the backing service rejects (the library answers 503), it never resolves
 *   with a wrong answer.
 */
export interface UserStore {
  /** Creates a user with a fresh random id. Resolves `null` when the email is already taken. */
  create(user: NewUser): Promise<UserRecord | null>;
  /** The user with this id, or `null`. */
  findById(id: string): Promise<UserRecord | null>;
  /** The user that owns this (normalized) email, or `null`. */
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Applies the patch; resolves the updated user, or `null` when the user does not exist. */
  update(id: string, patch: UserPatch): Promise<UserRecord | null>;
  /**
   * Moves the user to a new (normalized) email atomically with respect to other claims on it:
   * resolves the updated user, `"email_taken"` when another user owns the address, or `null`
   * when the user does not exist. The old address is free afterwards.
   */
  changeEmail(id: string, email: string, updatedAt: number): Promise<UserRecord | "email_taken" | null>;
  /** Deletes the user and frees its email. Resolves `false` when there was no such user. */
  delete(id: string): Promise<boolean>;
}
