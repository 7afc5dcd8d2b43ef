import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { AuthError } from "../errors.js";
import { passwordFingerprint } from "./email-tokens.js";
import { base32Encode, matchingStep, otpauthUri } from "./totp.js";
/** Recovery codes per set: each works once. */
export const RECOVERY_CODES = 10;
/** A secret being enrolled lives this long (seconds) before `enable` must start again. */
const SETUP_TTL = 600;
/** Pending sign-in steps kept per user; a newer one ends the oldest beyond. */
const PENDING_CAP = 10;
/** `<userId>.<128 random bits>`: the user id lets the store keep the step in the user's slot. */
const MFA_TOKEN = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{22})$/;
/** 16 base32 characters (80 bits), shown as four groups of four. */
const RECOVERY_SHAPE = /^[a-z2-7]{16}$/;
/**
 * The second factor: TOTP (RFC 6238) with single-use recovery codes. It is the sign-in step
 * after the password (`challenge` starts a pending step, `verify` passes it), and it guards the
 * re-authentication of sensitive actions.
 */
export class Mfa {
    deps;
    constructor(deps) {
        this.deps = deps;
    }
    /** Whether the user has a second factor on (`GET /mfa`). */
    async status(userId) {
        const rec = await this.deps.store.get(userId);
        return rec ? { enabled: true, methods: ["totp", "recovery"], recoveryCodesLeft: rec.recoveryCodesLeft } : { enabled: false, methods: [], recoveryCodesLeft: 0 };
    }
    /**
     * The pending step for a user whose password was right and who has a second factor on, or
     * null. Only ever reached after a correct password, so the answer to a wrong password never
     * depends on it (nobody learns whether a factor is on without the password).
     */
    async challenge(user, ctx) {
        if (!(await this.deps.store.enabled(user.id)))
            return null;
        const id = randomBytes(16).toString("base64url");
        const now = this.deps.now();
        await this.deps.store.createChallenge(user.id, id, { client: this.client(ctx), pwd: passwordFingerprint(user.passwordHash), expiresAt: now + this.deps.challengeTtl * 1000, attemptsLeft: this.deps.maxAttempts }, now, PENDING_CAP);
        return { mfaRequired: true, mfaToken: `${user.id}.${id}`, methods: ["totp", "recovery"] };
    }
    /** A user the policy requires a factor of, who has none yet, may only enroll. */
    async restriction(user) {
        if (!this.deps.required(this.deps.serialize(user)))
            return undefined;
        return (await this.deps.store.enabled(user.id)) ? undefined : "mfa-enrollment";
    }
    /**
     * Passes a pending step with a TOTP or recovery code and signs in with `start`. The code is
     * counted like a password attempt (429 while this client is locked out on the account); a
     * wrong code also costs one of the step's own attempts, and the last one ends it. The step
     * must be live, of this client (same IP and user agent) and of the current password.
     */
    async verify(mfaToken, code, ctx, start) {
        const m = MFA_TOKEN.exec(mfaToken);
        if (!m)
            throw new AuthError("MFA_CHALLENGE_INVALID");
        const [, userId, id] = m;
        const now = this.deps.now();
        // The pending step first: it lives in the second factor's store (Redis), so an outage there is
        // a 503 whatever store the users live in, and a made-up token costs no user lookup.
        const pending = await this.deps.store.findChallenge(userId, id, now);
        if (!pending)
            throw new AuthError("MFA_CHALLENGE_INVALID");
        const user = await this.deps.users.findById(userId);
        if (!user)
            throw new AuthError("MFA_CHALLENGE_INVALID");
        // Counted before the code is judged, like a password guess: parallel guesses cannot all slip past the lockout.
        await this.deps.limits?.beforePasswordCheck(user.email, ctx.ip);
        // Bound to the client that passed the password: a leaked mfaToken is useless elsewhere.
        if (!safeEqual(pending.client, this.client(ctx)) || pending.pwd !== passwordFingerprint(user.passwordHash)) {
            throw new AuthError("MFA_CHALLENGE_INVALID");
        }
        const rec = await this.deps.store.get(user.id);
        if (!rec)
            throw new AuthError("MFA_CHALLENGE_INVALID");
        const checked = this.check(user.id, rec, code, now);
        const store = this.deps.store;
        // Consuming the step and using up the code (time step or recovery code) is one atomic change.
        const outcome = !checked
            ? await store.failChallenge(user.id, id, now)
            : checked.kind === "totp"
                ? await store.completeWithStep(user.id, id, checked.step, now)
                : await store.completeWithRecoveryCode(user.id, id, checked.hash, now);
        if (outcome.status === "gone")
            throw new AuthError("MFA_CHALLENGE_INVALID");
        if (outcome.status === "wrong") {
            this.deps.events.emit("onLoginFailed", ctx, { email: user.email });
            throw new AuthError("INVALID_MFA_CODE");
        }
        await this.deps.limits?.passwordCheckSucceeded(user.email, ctx.ip);
        if (checked.kind === "recovery")
            this.recoveryCodeUsed(user, outcome.recoveryCodesLeft, ctx);
        return { user, session: await this.deps.complete(user, ctx, start) };
    }
    /** Starts enrollment: a new secret (replacing one not yet confirmed), its URI for the QR code. */
    async setup(userId) {
        const user = await this.current(userId);
        if (await this.deps.store.get(user.id))
            throw new AuthError("MFA_ALREADY_ENABLED");
        // 160 bits, the size RFC 4226 recommends for HMAC-SHA-1.
        const secret = randomBytes(20);
        await this.deps.store.putSetup(user.id, this.deps.box.seal(secret, user.id), SETUP_TTL);
        const base32 = base32Encode(secret);
        return { secret: base32, otpauthUrl: otpauthUri(base32, this.deps.issuer, user.email) };
    }
    /**
     * Turns the factor on once a code of the enrolled secret is right (proof that the app holds
     * it); answers the recovery codes, shown this once and stored only as hashes.
     */
    async enable(userId, code, ctx) {
        const user = await this.current(userId);
        if (await this.deps.store.get(user.id))
            throw new AuthError("MFA_ALREADY_ENABLED");
        const sealed = await this.deps.store.getSetup(user.id);
        const secret = sealed ? this.deps.box.open(sealed, user.id) : null;
        if (!sealed || !secret)
            throw new AuthError("MFA_SETUP_NOT_STARTED");
        const step = matchingStep(secret, code.replace(/[\s-]/g, ""), this.deps.now());
        if (step === null)
            throw new AuthError("INVALID_MFA_CODE");
        const codes = recoveryCodes();
        // The code just used counts as used: it cannot sign in right after.
        if (!(await this.deps.store.enable(user.id, sealed, step, codes.map((c) => this.recoveryHash(user.id, c)), this.deps.now()))) {
            throw new AuthError("MFA_SETUP_NOT_STARTED");
        }
        this.notice("mfaEnabled", user, ctx);
        this.deps.events.emit("onMfaEnabled", ctx, { user: this.deps.serialize(user) });
        return { recoveryCodes: codes };
    }
    /** Turns the factor off: the password and a code (TOTP or recovery) are both needed. */
    async disable(userId, password, code, ctx) {
        const user = await this.current(userId);
        if (!(await this.deps.store.get(user.id)))
            throw new AuthError("MFA_NOT_ENABLED");
        await this.confirm(user, password, code, ctx);
        await this.deps.store.disable(user.id);
        this.notice("mfaDisabled", user, ctx);
        this.deps.events.emit("onMfaDisabled", ctx, { user: this.deps.serialize(user) });
    }
    /** A new set of recovery codes after the password and a code; the old set is dead at once. */
    async regenerateRecoveryCodes(userId, password, code, ctx) {
        const user = await this.current(userId);
        if (!(await this.deps.store.get(user.id)))
            throw new AuthError("MFA_NOT_ENABLED");
        await this.confirm(user, password, code, ctx);
        const codes = recoveryCodes();
        if (!(await this.deps.store.replaceRecoveryCodes(user.id, codes.map((c) => this.recoveryHash(user.id, c)))))
            throw new AuthError("MFA_NOT_ENABLED");
        return { recoveryCodes: codes };
    }
    /**
     * Re-authentication for step-up: the password, and a code when a factor is on. Resolves the
     * new authentication time (ms) for the caller to record on the session.
     */
    async reauthenticate(userId, password, code, ctx) {
        const user = await this.current(userId);
        await this.confirm(user, password, code, ctx);
        return this.deps.now();
    }
    /** Removes every piece of second-factor state (account deletion). */
    forget(userId) {
        return this.deps.store.deleteAll(userId);
    }
    /**
     * The password and, when a factor is on, a code: one attempt in the login buckets, handed back
     * only when both are right, so guessing either leads to the lockout.
     */
    async confirm(user, password, code, ctx) {
        await this.deps.limits?.beforePasswordCheck(user.email, ctx.ip);
        const { ok } = await this.deps.passwords.verify(user.passwordHash, password);
        if (!ok)
            throw new AuthError("INVALID_PASSWORD");
        const rec = await this.deps.store.get(user.id);
        if (rec) {
            const checked = code === undefined ? null : this.check(user.id, rec, code, this.deps.now());
            if (!checked)
                throw new AuthError("INVALID_MFA_CODE");
            if (checked.kind === "totp") {
                // Atomic: of two requests with one code in one time step, one wins (replay refused).
                if (!(await this.deps.store.useStep(user.id, checked.step)))
                    throw new AuthError("INVALID_MFA_CODE");
            }
            else {
                const left = await this.deps.store.useRecoveryCode(user.id, checked.hash);
                if (left === null)
                    throw new AuthError("INVALID_MFA_CODE");
                this.recoveryCodeUsed(user, left, ctx);
            }
        }
        await this.deps.limits?.passwordCheckSucceeded(user.email, ctx.ip);
    }
    /** What a presented code is: a TOTP code matching a step not yet used, a recovery code's hash, or nothing. */
    check(userId, rec, raw, now) {
        const code = raw.replace(/[\s-]/g, "").toLowerCase();
        if (/^\d{6}$/.test(code)) {
            const secret = this.deps.box.open(rec.sealedSecret, userId);
            if (!secret)
                return null;
            const step = matchingStep(secret, code, now);
            // A step at or before the last used one is a replay (the store checks again, atomically).
            return step !== null && step > rec.lastStep ? { kind: "totp", step } : null;
        }
        if (RECOVERY_SHAPE.test(code))
            return { kind: "recovery", hash: this.recoveryHash(userId, code) };
        return null;
    }
    /** Recovery codes carry 80 random bits: a plain SHA-256 (bound to the user) is enough at rest. */
    recoveryHash(userId, code) {
        return createHash("sha256").update(`gatehouse/recovery:${userId}:${code.replace(/[\s-]/g, "").toLowerCase()}`).digest("base64url");
    }
    /** The client binding of a pending step: a keyed hash of IP and user agent (neither stored in clear). */
    client(ctx) {
        return createHmac("sha256", this.deps.clientKey).update(`${ctx.ip ?? ""}\n${ctx.userAgent ?? ""}`).digest("base64url");
    }
    async current(userId) {
        const user = await this.deps.users.findById(userId);
        if (!user)
            throw new AuthError("UNAUTHENTICATED");
        return user;
    }
    recoveryCodeUsed(user, left, ctx) {
        this.notice("mfaRecoveryCodeUsed", user, ctx, { recoveryCodesLeft: left });
        this.deps.events.emit("onMfaRecoveryCodeUsed", ctx, { user: this.deps.serialize(user), recoveryCodesLeft: left });
    }
    notice(template, user, ctx, extra = {}) {
        const activity = { time: new Date(this.deps.now()).toISOString(), ip: ctx.ip, userAgent: ctx.userAgent };
        this.deps.notifier.send(template, user.email, { user: this.deps.serialize(user), activity, ...extra });
    }
}
/** Ten fresh recovery codes, `abcd-efgh-ijkl-mnop` (80 bits each). */
function recoveryCodes() {
    return Array.from({ length: RECOVERY_CODES }, () => {
        const code = base32Encode(randomBytes(10)).toLowerCase();
        return code.match(/.{4}/g).join("-");
    });
}
function safeEqual(a, b) {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
}
