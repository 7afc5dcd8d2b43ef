/** The `pending` value of a deletion (a password fingerprint otherwise). */
export const PENDING_DELETION = "-";
/**
 * How long (ms) a pending change may be in flight before readers treat it as cut off by an
 * outage and settle it: longer than the user store's and Redis's deadlines together.
 */
export const PENDING_GRACE_MS = 5000;
