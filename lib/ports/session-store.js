import { randomBytes } from "node:crypto";
/**
 * A signed-in session's id: `<userId>.<256 random bits, base64url>`. The user id in front puts
 * the session in its user's slot, next to the credential record it is checked against. The
 * random part alone is the secret; user ids hold no `.` after their last one (base64url, UUIDs,
 * integers).
 */
export function newSessionId(userId) {
    return `${userId}.${randomBytes(32).toString("base64url")}`;
}
const RAND = /^[A-Za-z0-9_-]{43}$/;
/** The owner and random part of a signed-in session's id; null for any other id. */
export function parseSessionId(sessionId) {
    const dot = sessionId.lastIndexOf(".");
    if (dot <= 0)
        return null;
    const rand = sessionId.slice(dot + 1);
    return RAND.test(rand) ? { userId: sessionId.slice(0, dot), rand } : null;
}
