/**
 * The counters Gatehouse keeps, one per kind of attempt and what it is keyed by:
 *
 * - `loginAccountIp`: password checks of one account from one client (email + IP);
 * - `loginAccount`: password checks of one account from anywhere (email);
 * - `loginIp`: password checks from one client, across accounts (IP);
 * - `loginDevice`: password checks by a client with a device credential for the account (the credential);
 * - `forgotPasswordEmail`, `forgotPasswordIp`: password-reset mails asked for, per email and per IP;
 * - `verifyEmailUser`, `verifyEmailIp`: verification mails asked for, per user and per IP;
 * - `changeEmailUser`, `changeEmailIp`: email changes asked for, per user and per IP;
 * - `registerIp`: registrations, per IP;
 * - `tokenIp`: uses of emailed tokens that fail, per IP.
 */
export type LimitName =
  | "loginAccountIp"
  | "loginAccount"
  | "loginIp"
  | "loginDevice"
  | "forgotPasswordEmail"
  | "forgotPasswordIp"
  | "verifyEmailUser"
  | "verifyEmailIp"
  | "changeEmailUser"
  | "changeEmailIp"
  | "registerIp"
  | "tokenIp";

/**
 * How much one counter allows: `points` hits per fixed window of `duration` seconds. The hit
 * past `points` is refused and blocks the key for `blockDuration` seconds (0: until the window
 * ends); every hit while blocked is refused too.
 */
export interface LimitRule {
  /** Hits allowed per window; a positive integer. */
  points: number;
  /** The window, in seconds (a positive integer); it starts with the first hit. */
  duration: number;
  /** Seconds the key stays blocked from the first refused hit; 0 = until the window ends. */
  blockDuration: number;
}

/** One counter: its name (which also namespaces its keys) and its rule. */
export interface Limit extends LimitRule {
  readonly name: LimitName;
}

/** Where a key stands after a hit, or when checked. */
export interface LimitState {
  /**
   * True when the key is over its limit: from `hit`, this hit was refused; from `check`, an
   * earlier one was and the block has not lifted yet.
   */
  blocked: boolean;
  /** Hits still allowed in the current window (0 when blocked or used up). */
  remaining: number;
  /**
   * Seconds until the key accepts hits again: at least 1 when `blocked`. When not blocked, the
   * seconds until the window resets (0 when the key has no count).
   */
  retryAfter: number;
}

/** One counter and key of {@link RateLimiter.hitAll}. */
export interface LimitHit {
  limit: Limit;
  key: string;
  /** @default 1 */
  points?: number;
}

/** One counter of {@link RateLimiter.refundAll}: hand back `points`, or with `clear` forget its count and block. */
export interface LimitRefund extends LimitHit {
  clear?: boolean;
}

/**
 * Counts hits per key in fixed windows, shared by every instance of the app. Gatehouse ships
 * `RedisRateLimiter` and `MemoryRateLimiter` (one process only, for tests and development).
 *
 * Rules every implementation keeps:
 * - a hit counts and decides atomically: of many concurrent hits on a key with `points` left,
 *   exactly `points` are allowed;
 * - keys are opaque strings that may contain emails; an implementation stores them hashed or
 *   otherwise keeps them out of places an operator reads casually;
 * - the same `limit.name` always comes with the same rule; different names never share counts;
 * - a failure of the backing store rejects (the library answers 503 and lets nobody through);
 *   it never resolves "not blocked" for want of an answer.
 */
export interface RateLimiter {
  /** Counts `points` hits (default 1) on `key`; resolves whether this hit was refused. */
  hit(limit: Limit, key: string, points?: number): Promise<LimitState>;
  /**
   * Counts one attempt on several counters, all or none: when every counter allows it, each
   * counts it; when any refuses it, only the refusing counters count it (and block), the others
   * are left as they were (a counter without a count is not created), so a client hammering one
   * locked counter cannot fill the others, nor a flood refused per IP create a key per email.
   * Resolves each counter's state, in the order of `hits` (`blocked` on the refusing ones).
   */
  hitAll(hits: readonly LimitHit[]): Promise<LimitState[]>;
  /** Hands back `points` (default 1) counted by an earlier allowed `hit`, e.g. after a success. */
  refund(limit: Limit, key: string, points?: number): Promise<void>;
  /** {@link refund} or {@link clear} on several counters at once (one Redis script on a single Redis). */
  refundAll(refunds: readonly LimitRefund[]): Promise<void>;
  /** Where `key` stands, without counting. */
  check(limit: Limit, key: string): Promise<LimitState>;
  /** Forgets the count and any block of `key`. */
  clear(limit: Limit, key: string): Promise<void>;
}
