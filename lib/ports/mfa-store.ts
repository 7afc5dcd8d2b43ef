/** A user's second factor as stored. The secret is sealed (encrypted at rest); times in ms. */
export interface MfaRecord {
  /** The TOTP secret, sealed with a key derived from `secret` (never the base32 in clear). */
  sealedSecret: string;
  enabledAt: number;
  /** The last TOTP time step accepted: a code is good once, and never for a step at or before it. */
  lastStep: number;
  /** How many unused recovery codes are left. */
  recoveryCodesLeft: number;
}

/** A pending sign-in step: the password was right, the second factor is still due. Times in ms. */
export interface PendingChallenge {
  /** Keyed hash of the client that passed the password (IP and user agent). */
  client: string;
  /** Fingerprint of the password hash: the step dies when the password changes. */
  pwd: string;
  expiresAt: number;
  /** Wrong codes still allowed; the step ends at 0. */
  attemptsLeft: number;
}

/** How a pending step was settled with a code. */
export type ChallengeOutcome =
  /** Accepted: the step is consumed (and the TOTP step or recovery code used up). */
  | { status: "ok"; recoveryCodesLeft: number }
  /** Wrong (or replayed) code: one attempt is gone; at 0 the step was deleted. */
  | { status: "wrong"; attemptsLeft: number }
  /** No such live step (expired, used, ended), or the second factor is no longer on. */
  | { status: "gone" };

/**
 * Where second-factor state lives, apart from the user record, so that deleting it is one call.
 * Every change that touches several pieces of state is atomic (one Lua script on the user's
 * hash slot in Redis): of two requests racing with the same code or step, exactly one wins.
 */
export interface MfaStore {
  /** The user's enabled second factor, or null. */
  get(userId: string): Promise<MfaRecord | null>;
  /** Whether the user has a second factor on: the one read every sign-in makes (one command). */
  enabled(userId: string): Promise<boolean>;
  /** Keeps a secret being enrolled (replacing an older one) for `ttlSeconds`. */
  putSetup(userId: string, sealedSecret: string, ttlSeconds: number): Promise<void>;
  /** The secret being enrolled, or null. */
  getSetup(userId: string): Promise<string | null>;
  /**
   * Turns the factor on with the enrolled secret, if it is still `sealedSecret` and no factor is
   * on yet: stores it with `step` as used, and the recovery code hashes. Resolves false otherwise.
   */
  enable(userId: string, sealedSecret: string, step: number, recoveryHashes: readonly string[], now: number): Promise<boolean>;
  /** Removes the factor, its recovery codes, any enrollment and pending steps. */
  disable(userId: string): Promise<void>;
  /** Replaces every recovery code by these hashes; false when no factor is on. */
  replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<boolean>;
  /** Marks `step` used if it is later than the last used one; false for a replay (or no factor). */
  useStep(userId: string, step: number): Promise<boolean>;
  /** Uses up one recovery code; resolves the codes left, or null when it was not one. */
  useRecoveryCode(userId: string, hash: string): Promise<number | null>;

  /** Keeps a pending sign-in step (the oldest go beyond `cap` per user). */
  createChallenge(userId: string, id: string, challenge: PendingChallenge, now: number, cap: number): Promise<void>;
  /** The live pending step, or null. */
  findChallenge(userId: string, id: string, now: number): Promise<PendingChallenge | null>;
  /** Settles a pending step with a TOTP `step`: consumes it and marks the step used, atomically. */
  completeWithStep(userId: string, id: string, step: number, now: number): Promise<ChallengeOutcome>;
  /** Settles a pending step with a recovery code hash, atomically. */
  completeWithRecoveryCode(userId: string, id: string, hash: string, now: number): Promise<ChallengeOutcome>;
  /** Counts a wrong code against a pending step (deleted at 0). */
  failChallenge(userId: string, id: string, now: number): Promise<ChallengeOutcome>;

  /** Everything of the user (account deletion). */
  deleteAll(userId: string): Promise<void>;
}
