import type { Admission } from "./credential-store.js";
import type { PublicUser } from "../types.js";

/**
 * A refresh-token family (JWT mode): one sign-in on one device, across its rotations. Times in ms.
 * The family holds no copy of the user and no password fingerprint: it is stamped with the
 * epoch of the user's credential record (ports/credential-store.ts) and every read checks it
 * against the record, whose user copy it answers.
 */
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
  /** The record's epoch when the family began (or when a change kept it). */
  epoch: number;
  /** The generation of the family's current refresh token: 0 at sign-in, one more per rotation. */
  n: number;
  /** The user as the credential record holds it at this read: the one copy every access token sees. */
  user: PublicUser;
  /** The last authentication (sign-in or POST /reauth), for step-up checks; `createdAt` when absent. */
  authAt?: number;
  /** Signed in without a second factor the policy requires: only enrollment is allowed. */
  restricted?: "mfa-enrollment";
}

/** What a new family is made of; the store stamps the epoch and generation 0 and reads the user copy. */
export type NewFamily = Omit<RefreshFamily, "epoch" | "n" | "user">;

/**
 * The outcome of beginning a family: `created`; `refused` when the hash the sign-in verified is
 * no longer the user's (or the user is gone); `pending` when a change of the user's credentials
 * is stuck in flight and must be settled first.
 */
export type CreateResult = { status: "created"; family: RefreshFamily } | { status: "refused" } | { status: "pending" };

/**
 * The per-request read: `live`; `ended` when there is no such family, it expired, its epoch is
 * not the record's or the user is gone (such a family is deleted); `pending` as above.
 */
export type FamilyRead = { status: "live"; family: RefreshFamily } | { status: "ended" } | { status: "pending" };

/** The outcome of presenting generation `n` of a family's refresh token. */
export type RotateResult =
  /** `n` was current: the family moved to `n + 1` (`family.n`). */
  | { status: "rotated"; family: RefreshFamily }
  /** `n` was the previous generation, presented again within the grace window: `family.n` is still current. */
  | { status: "grace"; family: RefreshFamily }
  /** An older generation, or the previous one after its grace window: the family is gone. */
  | { status: "reuse" }
  /** No such live family (expired, revoked, ended by a change of the record, never existed). */
  | { status: "invalid" }
  /** A change of the user's credentials is stuck in flight: settle it, then present again. */
  | { status: "pending" };

/**
 * Where refresh-token families live, next to the users' credential records. The store keeps
 * only the current generation of each family's token: the token itself is a MAC the core checks
 * before the store is asked. Every method that reads a family checks it against the record in
 * the same atomic step; rotation is atomic: of concurrent presentations of one generation,
 * exactly one rotates.
 */
export interface RefreshStore {
  /**
   * Begins a family if the record admits the sign-in (see `admit` of the credential store),
   * stamped with the record's epoch, at generation 0. Beyond `maxPerUser` families of the user,
   * the oldest ends, in the same step.
   */
  create(family: NewFamily, admission: Admission, maxPerUser: number): Promise<CreateResult>;
  /** The per-request check of JWT mode: one read of the family and the record. */
  get(userId: string, familyId: string, now: number): Promise<FamilyRead>;
  /**
   * Presents generation `n`: current → rotates to `n + 1`; previous within `graceMs` of the last
   * rotation → `grace`; an older one (or the previous one later) → a replay: the family is deleted.
   */
  rotate(userId: string, familyId: string, n: number, now: number, graceMs: number): Promise<RotateResult>;
  /** Records a re-authentication on a live family (`authAt`) and lifts its restriction. */
  authenticated(userId: string, familyId: string, authAt: number): Promise<void>;
  /** The user's live families (of the record's current epoch). */
  list(userId: string, now: number): Promise<RefreshFamily[]>;
  /** Deletes one family; false when there was none. */
  delete(userId: string, familyId: string): Promise<boolean>;
}
