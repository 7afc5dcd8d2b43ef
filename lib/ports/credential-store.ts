/**
 * The credential record of one user: what every session and refresh-token family of the user is
 * checked against on each use. One record per user, in the user's own slot next to their
 * sessions and families, so a change and the checks that depend on it are single atomic steps.
 *
 * - `epoch`: every credential is stamped with the epoch current when it began; bumping it
 *   (password change, reset, deletion, "revoke all") ends every credential stamped before at
 *   its next use, however it rotates meanwhile.
 * - `pwd`: the fingerprint of the password hash the user can sign in with. A sign-in commits its
 *   session or family only while the hash it verified is still this one (compare-and-create), so
 *   a sign-in with the old password that is still hashing when a reset commits never begins.
 * - `user`: the user as the answers serialize it, with the moment (`at`, the record's
 *   `updatedAt`) it is of: the one copy every session and access token reads, so a change is
 *   seen on the next request of each.
 * - `pending`: a password change or deletion written to the user store but not yet committed
 *   here (an outage between the two); whoever meets it later finishes or drops it.
 */
export interface CredentialState {
  epoch: number;
  gone: boolean;
  pwd: string | undefined;
  pending: { value: string; at: number } | undefined;
}

/** The `pending` value of a deletion (a password fingerprint otherwise). */
export const PENDING_DELETION = "-";

/**
 * How long (ms) a pending change may be in flight before readers treat it as cut off by an
 * outage and settle it: longer than the user store's and Redis's deadlines together.
 */
export const PENDING_GRACE_MS = 5000;

/** What a sign-in that begins a session or family verified: the record admits it or not (compare-and-create). */
export interface Admission {
  /** The fingerprint of the password hash the sign-in verified. */
  pwd: string;
  /** The serialized user the sign-in read, and the moment (`updatedAt`) it is of. */
  user: { json: string; at: number };
}

/** A credential of the user that a change keeps (re-stamped with the new epoch). */
export type KeptCredential = { session: string } | { family: string };

/** One atomic change of the record. */
export interface CredentialChange {
  /** The new password fingerprint. */
  pwd?: string;
  /** `pwd` is the same password re-hashed (parameters upgraded): sign-ins that verified the old hash still commit. */
  rehash?: boolean;
  /** Bump the epoch: every credential of the user ends, but `keep`. */
  revoke?: boolean;
  keep?: KeptCredential;
  /** The user is deleted: nothing of theirs begins or lives on. */
  gone?: boolean;
  /** The fresh serialized user and the moment it is of; an older copy never replaces a newer one. */
  user?: { json: string; at: number };
  /** Clears `pending` if it still is this value. */
  settles?: string;
}

export interface CredentialStore {
  read(userId: string): Promise<CredentialState>;
  /** Marks a change as in flight (before it is written to the user store). */
  prepare(userId: string, pending: string, now: number): Promise<void>;
  /** Applies `change` in one atomic step. */
  commit(userId: string, change: CredentialChange): Promise<void>;
}
