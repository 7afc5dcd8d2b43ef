import type { PublicUser } from "../types.js";

/** A refresh-token family (JWT mode): one sign-in on one device, across its rotations. Times in ms. */
export interface RefreshFamily {
  id: string;
  userId: string;
  createdAt: number;
  /** Absolute end: rotation never extends it. */
  expiresAt: number;
  /** The last sign-in or rotation. */
  seenAt: number;
  ip: string | undefined;
  userAgent: string | undefined;
  /** The serialized user, so a protected request needs no user lookup; updated on every change. */
  user: PublicUser;
  /** Fingerprint of the password hash at sign-in: a family of an older password cannot rotate. */
  pwd: string;
  /** The last authentication (sign-in or POST /reauth), for step-up checks; `createdAt` when absent. */
  authAt?: number;
  /** Signed in without a second factor the policy requires: only enrollment is allowed. */
  restricted?: "mfa-enrollment";
}

/** The outcome of presenting a refresh token. */
export type RotateResult =
  /** It was the family's current token: `next` is current now. */
  | { status: "rotated"; family: RefreshFamily }
  /** It was the previous token, presented again within the grace window: here is the sealed successor issued then. */
  | { status: "grace"; family: RefreshFamily; sealedNext: string }
  /** A token of this family replayed after its grace window: the family is gone. */
  | { status: "reuse" }
  /** No such family (expired, revoked, never existed). */
  | { status: "invalid" };

/**
 * Where refresh-token families live. Tokens are stored only as SHA-256 hashes. Rotation is atomic:
 * of concurrent presentations of one token, exactly one rotates.
 */
export interface RefreshStore {
  /** Creates a family whose current token has `tokenHash`. */
  create(family: RefreshFamily, tokenHash: string): Promise<void>;
  /** The live family, or null (the per-request check of JWT mode: one read). */
  get(userId: string, familyId: string, now: number): Promise<RefreshFamily | null>;
  /**
   * Presents a token hash: if current, replaces it by `next.hash` and keeps `next.sealed` for the
   * grace window; if previous and within `graceMs` of its rotation, answers the sealed successor;
   * otherwise (a replay) deletes the family. A family whose `pwd` is not `next.pwd` (the
   * password changed since it began) is deleted and answers `invalid`.
   */
  rotate(userId: string, familyId: string, presentedHash: string, next: { hash: string; sealed: string; user: PublicUser; pwd: string }, now: number, graceMs: number): Promise<RotateResult>;
  /** Records a re-authentication on a live family (`authAt`) and lifts its restriction. */
  authenticated(userId: string, familyId: string, authAt: number): Promise<void>;
  /** Replaces the user copy in every family of the user. */
  updateUser(user: PublicUser): Promise<void>;
  /** The user's live families. */
  list(userId: string, now: number): Promise<RefreshFamily[]>;
  /** Deletes one family; false when there was none. */
  delete(userId: string, familyId: string): Promise<boolean>;
  /** Deletes every family of the user but `keep`; resolves how many. */
  deleteAll(userId: string, keep?: string): Promise<number>;
}
