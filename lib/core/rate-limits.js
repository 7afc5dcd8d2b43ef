import { AuthError } from "../errors.js";
import { normalizeEmail } from "./email-address.js";
const MINUTE = 60;
const HOUR = 60 * MINUTE;
/**
 * The rate limits and lockouts Gatehouse applies unless configured otherwise (durations in
 * seconds). Windows are fixed: a window starts with its key's first hit.
 *
 * Login buckets count failed password checks (an attempt is counted up front and handed back
 * when the password was right, see {@link RateLimits.beforePasswordCheck}); the others count requests.
 */
export const DEFAULT_LIMITS = Object.freeze({
    // The lockout (OWASP Authentication CS): a handful of wrong passwords for one account from one
    // client locks that pair for a while. 5 is more than a person mistyping needs; the lock lasts
    // 15 min from the first refused attempt. Being per client, it is the lock a stranger elsewhere
    // cannot trigger against the owner.
    loginAccountIp: { points: 5, duration: 15 * MINUTE, blockDuration: 15 * MINUTE },
    // The ceiling against guessing spread over many addresses: ASVS 2.2.1 ("no more than 100 failed
    // attempts per hour on a single account") and NIST 800-63B 5.2.2 (<= 100 consecutive failures).
    // It has to refuse every client, the owner included, so it sits far above the pair lock: one
    // client can fail at most 5 times per 15-min window on an account (25 in any hour), and
    // attempts refused by any bucket are not counted here, so only guessing from several clients
    // (at least 4 addresses or IPv6 /64s) reaches it. When that happens, the lock
    // ends with the window (blockDuration 0: the attacker cannot prolong a lock that has tripped),
    // forgot-password stays open, and a completed reset lifts it ({@link RateLimits.passwordReset}).
    // A successful login does not reset it: NIST only lets a success disregard that client's failures.
    loginAccount: { points: 100, duration: HOUR, blockDuration: 0 },
    // A client that holds a device credential for the account (OWASP device cookies: it signed in
    // successfully before) is counted by that credential instead of the pair and the account
    // ceiling: 10 wrong passwords per 15 min lock that credential alone for 15 min. The owner's
    // browser keeps its own budget however many strangers guess; a stolen credential buys 10.
    loginDevice: { points: 10, duration: 15 * MINUTE, blockDuration: 15 * MINUTE },
    // Credential stuffing and password spraying from one address across many accounts. Offices and
    // carrier NATs put many people behind one address, hence failures only, a generous count and no
    // block beyond the window.
    loginIp: { points: 50, duration: 15 * MINUTE, blockDuration: 0 },
    // Mail flooding of one inbox (OWASP Forgot Password CS). A new reset mail kills the older
    // token, so the latest mail always works even when someone else spent this allowance.
    forgotPasswordEmail: { points: 3, duration: HOUR, blockDuration: 0 },
    // One client asking for mail to many addresses (mail bombing, probing).
    forgotPasswordIp: { points: 20, duration: HOUR, blockDuration: 0 },
    // Resends of the verification mail: "it did not arrive" twice is plenty.
    verifyEmailUser: { points: 3, duration: HOUR, blockDuration: 0 },
    verifyEmailIp: { points: 20, duration: HOUR, blockDuration: 0 },
    // Each request mails an address the requester chose and nobody verified yet: without a cap an
    // account is a mail cannon. 5 leaves room for typos.
    changeEmailUser: { points: 5, duration: HOUR, blockDuration: 0 },
    changeEmailIp: { points: 20, duration: HOUR, blockDuration: 0 },
    // Each registration creates an account and mails an arbitrary address; 10 lets a household or
    // an office behind one address sign up.
    registerIp: { points: 10, duration: HOUR, blockDuration: 0 },
    // Failed uses of emailed tokens. Tokens carry >= 128 random bits, so guessing cannot succeed;
    // this stops scanners early and keeps floods of bad tokens away from the stores (OWASP Forgot
    // Password CS: rate-limit token brute force; ASVS 2.5 / 6.6.3).
    tokenIp: { points: 30, duration: 15 * MINUTE, blockDuration: 0 },
});
/** Every bucket name, in the order of {@link DEFAULT_LIMITS}. */
export const LIMIT_NAMES = Object.freeze(Object.keys(DEFAULT_LIMITS));
/**
 * {@link DEFAULT_LIMITS} with `overrides` applied and checked.
 *
 * @throws TypeError on an unknown bucket, or a field that is not an integer in range
 *   (`points` >= 1, `duration` >= 1 s, `blockDuration` >= 0 s).
 */
export function resolveLimits(overrides = {}) {
    if (typeof overrides !== "object" || overrides === null)
        throw new TypeError("limits must be an object");
    for (const name of Object.keys(overrides)) {
        if (!Object.hasOwn(DEFAULT_LIMITS, name))
            throw new TypeError(`limits.${name} is not a rate limit; known: ${LIMIT_NAMES.join(", ")}`);
    }
    const rules = {};
    for (const name of LIMIT_NAMES) {
        const rule = { ...DEFAULT_LIMITS[name], ...overrides[name] };
        integer(rule.points, `limits.${name}.points`, 1);
        integer(rule.duration, `limits.${name}.duration`, 1);
        integer(rule.blockDuration, `limits.${name}.blockDuration`, 0);
        rules[name] = { points: rule.points, duration: rule.duration, blockDuration: rule.blockDuration };
    }
    return rules;
}
function integer(value, name, min) {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
        throw new TypeError(`${name} must be an integer >= ${min} (got ${String(value)})`);
    }
}
/**
 * The rate-limit and lockout policy, one method per moment the HTTP layer guards. Every `before*`
 * counts the attempt and throws `AuthError("TOO_MANY_REQUESTS", { retryAfter })` (429 with
 * `Retry-After`) when any of its buckets refuses it; store failures reject as they come
 * (`SERVICE_UNAVAILABLE` from the Redis adapter), so nothing passes unchecked.
 *
 * `ip` is the client address as Express reports it (`req.ip`, which honours `trust proxy`);
 * {@link clientKey} turns it into a key. Emails are normalized here, and counted whether or not
 * an account has them, so an unknown email answers exactly like a known one.
 */
export class RateLimits {
    limiter;
    limits;
    /**
     * @param limiter - Where the counts live (`RedisRateLimiter`, or `MemoryRateLimiter` in one process).
     * @param rules - The rules, e.g. from {@link resolveLimits}. @default DEFAULT_LIMITS
     */
    constructor(limiter, rules = DEFAULT_LIMITS) {
        this.limiter = limiter;
        const limits = {};
        for (const name of LIMIT_NAMES)
            limits[name] = Object.freeze({ name, ...rules[name] });
        this.limits = Object.freeze(limits);
    }
    /**
     * Call before checking a password: login, the JWT password grant, and the current-password
     * check of change-password, change-email and account deletion (a wrong current password is a
     * failed login). Throws 429 while the account is locked for this client, the account's ceiling
     * is reached, or this client failed too often, whatever the password.
     *
     * The attempt counts as a failure in all three login buckets up front, atomically, so parallel
     * guesses cannot all slip past a check made before any of them failed; call
     * {@link passwordCheckSucceeded} when the password was right to hand it back. Nothing else is
     * needed on failure.
     */
    async beforePasswordCheck(email, ip, device) {
        const keys = loginKeys(email, ip);
        // A valid device credential (see DeviceCredentials): its own budget, not the account's lock.
        if (device !== undefined)
            return this.attempt([[this.limits.loginDevice, device], [this.limits.loginIp, keys.client]]);
        await this.attempt([
            [this.limits.loginAccountIp, keys.pair],
            [this.limits.loginAccount, keys.account],
            [this.limits.loginIp, keys.client],
        ]);
    }
    /**
     * Call when the password checked after {@link beforePasswordCheck} was right (whatever
     * follows, e.g. an unverified email). Forgets this client's failures on the account (NIST:
     * disregard prior failures from that client after a success) and hands back the attempt; the
     * account's own count keeps the other clients' failures.
     */
    async passwordCheckSucceeded(email, ip, device) {
        const keys = loginKeys(email, ip);
        if (device !== undefined) {
            await Promise.all([this.limiter.clear(this.limits.loginDevice, device), this.limiter.refund(this.limits.loginIp, keys.client)]);
            return;
        }
        await this.limiter.refundAll([
            { limit: this.limits.loginAccountIp, key: keys.pair, clear: true },
            { limit: this.limits.loginAccount, key: keys.account },
            { limit: this.limits.loginIp, key: keys.client },
        ]);
    }
    /**
     * Call when the password was right but a second step (a TOTP code) is still due: hands the
     * attempt back, and keeps this client's earlier failures on the account until the second step
     * passes ({@link passwordCheckSucceeded} then), so wrong codes add to the same lockout.
     */
    async passwordCheckPassed(email, ip, device) {
        const keys = loginKeys(email, ip);
        if (device !== undefined) {
            await Promise.all([this.limiter.refund(this.limits.loginDevice, device), this.limiter.refund(this.limits.loginIp, keys.client)]);
            return;
        }
        await Promise.all([
            this.limiter.refund(this.limits.loginAccountIp, keys.pair),
            this.limiter.refund(this.limits.loginAccount, keys.account),
            this.limiter.refund(this.limits.loginIp, keys.client),
        ]);
    }
    /**
     * Call after a password reset succeeded. The failures counted against the account were
     * guesses at a password that no longer exists and the owner has just proved they read its
     * mail, so the account's ceiling and this client's lock on it are lifted: an owner locked out
     * by a distributed attack gets back in through forgot-password at once.
     */
    async passwordReset(email, ip) {
        const keys = loginKeys(email, ip);
        await Promise.all([
            this.limiter.clear(this.limits.loginAccount, keys.account),
            this.limiter.clear(this.limits.loginAccountIp, keys.pair),
        ]);
    }
    /**
     * Call before handling POST /forgot-password, whether or not the email has an account. Counts
     * per email and per client; it never touches the login buckets (OWASP: forgot-password must
     * not lock accounts).
     */
    async beforeForgotPassword(email, ip) {
        await this.attempt([
            [this.limits.forgotPasswordEmail, normalizeEmail(email)],
            [this.limits.forgotPasswordIp, clientKey(ip)],
        ]);
    }
    /** Call before sending another verification mail (POST /request-verify-email). */
    async beforeVerifyEmailRequest(userId, ip) {
        await this.attempt([
            [this.limits.verifyEmailUser, userId],
            [this.limits.verifyEmailIp, clientKey(ip)],
        ]);
    }
    /**
     * Call before handling a change-email request (which mails the new address). Its
     * current-password check goes through {@link beforePasswordCheck} as well.
     */
    async beforeChangeEmail(userId, ip) {
        await this.attempt([
            [this.limits.changeEmailUser, userId],
            [this.limits.changeEmailIp, clientKey(ip)],
        ]);
    }
    /** Call before handling a registration. */
    async beforeRegister(ip) {
        await this.attempt([[this.limits.registerIp, clientKey(ip)]]);
    }
    /**
     * Call before looking up an emailed token (verify-email, forgot-password/validate,
     * reset-password, confirm-email-change). Counts the use as failed up front, atomically; call
     * {@link tokenAccepted} when the token was valid.
     */
    async beforeTokenUse(ip) {
        await this.attempt([[this.limits.tokenIp, clientKey(ip)]]);
    }
    /** Call when the token checked after {@link beforeTokenUse} was valid: hands the use back. */
    async tokenAccepted(ip) {
        await this.limiter.refund(this.limits.tokenIp, clientKey(ip));
    }
    /**
     * Counts one attempt in every bucket, or in none: when a bucket refuses, only the refusing
     * buckets count it and the others are never written. Otherwise a client spamming a pair that
     * is locked would keep filling the account's ceiling and lock the owner out everywhere, and a
     * flood refused per IP would leave a key per made-up email (refused requests store nothing
     * but the counts of the buckets that refuse them, which exist already).
     */
    async attempt(hits) {
        // Check-then-consume in one step for all buckets (one Redis script on a single Redis; on a
        // Cluster, check all then hit, see RedisRateLimiter).
        const states = await this.limiter.hitAll(hits.map(([limit, key]) => ({ limit, key })));
        const refused = states.filter((state) => state.blocked);
        if (refused.length === 0)
            return;
        throw new AuthError("TOO_MANY_REQUESTS", { retryAfter: Math.max(...refused.map((state) => state.retryAfter)) });
    }
}
function loginKeys(email, ip) {
    const account = normalizeEmail(email);
    const client = clientKey(ip);
    // The client key never contains "|", and comes first: no two pairs share a key.
    return { pair: `${client}|${account}`, account, client };
}
/**
 * The key one client is counted under:
 * - IPv4 as is (`"203.0.113.7"`), also when written as IPv4-mapped IPv6 (`"::ffff:203.0.113.7"`);
 * - IPv6 as its /64 (`"2001:db8:0:1::/64"`): one host usually holds a whole /64 and could
 *   otherwise rotate through 2^64 addresses;
 * - a port (`"203.0.113.7:51234"`, `"[2001:db8::1]:443"`) or zone (`"fe80::1%eth0"`) dropped;
 * - `"unknown"` when there is no address or it cannot be parsed: such requests share one
 *   bucket (fail closed) rather than go uncounted.
 */
export function clientKey(ip) {
    if (!ip)
        return "unknown";
    let s = ip.trim().toLowerCase();
    const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
    if (bracketed)
        s = bracketed[1];
    const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(s);
    if (withPort)
        s = withPort[1];
    const zone = s.indexOf("%");
    if (zone >= 0)
        s = s.slice(0, zone);
    const v4 = parseIPv4(s);
    if (v4)
        return v4.join(".");
    const v6 = parseIPv6(s);
    if (!v6)
        return "unknown";
    if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
        return [v6[6] >> 8, v6[6] & 0xff, v6[7] >> 8, v6[7] & 0xff].join(".");
    }
    return `${v6.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}
function parseIPv4(s) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m)
        return null;
    const octets = m.slice(1).map(Number);
    return octets.every((o) => o <= 255) ? octets : null;
}
/** The eight 16-bit groups of an IPv6 address (with `::` and a trailing dotted quad), or null. */
function parseIPv6(s) {
    const halves = s.split("::");
    if (halves.length > 2)
        return null;
    const parse = (part) => {
        if (part === "")
            return [];
        const groups = [];
        const fields = part.split(":");
        for (const [i, field] of fields.entries()) {
            if (i === fields.length - 1 && field.includes(".")) {
                const v4 = parseIPv4(field);
                if (!v4)
                    return null;
                groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
            }
            else if (/^[0-9a-f]{1,4}$/.test(field)) {
                groups.push(parseInt(field, 16));
            }
            else {
                return null;
            }
        }
        return groups;
    };
    const head = parse(halves[0]);
    const tail = halves.length === 2 ? parse(halves[1]) : [];
    if (!head || !tail)
        return null;
    // A dotted quad may only end the address.
    if (halves.length === 2 && halves[0].includes("."))
        return null;
    if (halves.length === 1)
        return head.length === 8 ? head : null;
    const missing = 8 - head.length - tail.length;
    return missing >= 1 ? [...head, ...new Array(missing).fill(0), ...tail] : null;
}
