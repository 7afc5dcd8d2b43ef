import { createHash, randomBytes } from "node:crypto";
import { AuthError } from "../errors.js";
const TOKEN_SHAPE = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{43})$/;
export function sha256(value) {
    return createHash("sha256").update(value).digest("base64url");
}
/** A fingerprint of a password hash: reset tokens and sessions carry it and die when the password changes. */
export function passwordFingerprint(passwordHash) {
    return sha256(`password:${passwordHash}`).slice(0, 22);
}
/** The user id and stored hash of a token, or null when it is not of our shape (no store lookup needed). */
function parseToken(token) {
    const m = TOKEN_SHAPE.exec(token);
    return m ? { userId: m[1], hash: sha256(token) } : null;
}
/**
 * What binds a token to its user, per purpose: a verify link names the address the user has now;
 * a reset link dies when the password or the email changed; an email-change link dies with the
 * password it was confirmed with.
 */
function stillBound(record, user) {
    const samePassword = passwordFingerprint(user.passwordHash) === record.fingerprint;
    switch (record.purpose) {
        case "verify-email":
            return user.email === record.target;
        case "reset-password":
            return user.email === record.target && samePassword;
        case "change-email":
            return samePassword;
    }
}
/**
 * The single-use tokens emailed for verification, reset and email change:
 * `<userId>.<256 random bits, base64url>`. The user id in front lets the store keep the token in
 * the user's own slot (one live token per user and purpose, and consumption is one atomic
 * operation on one key). Only the SHA-256 of the whole token is stored.
 */
export class EmailTokens {
    deps;
    constructor(deps) {
        this.deps = deps;
    }
    /**
     * Issues the user's one live token for `purpose` (an older one of that purpose dies), bound to
     * `target` and to the current password, valid `ttl` seconds. Returns the token to mail.
     */
    async issue(user, purpose, target, ttl) {
        const token = `${user.id}.${randomBytes(32).toString("base64url")}`;
        const expiresAt = this.deps.now() + ttl * 1000;
        await this.deps.tokens.put({ purpose, userId: user.id, hash: sha256(token), target, fingerprint: passwordFingerprint(user.passwordHash), expiresAt }, ttl);
        return token;
    }
    /**
     * The one path every emailed token takes: the client's failure budget is charged first (a
     * guess costs until proven good), the token is parsed, found (and `prepare` run) and, when
     * `consume`, consumed atomically; its owner must exist and the token still be bound to them.
     * Only then is the charge refunded. Anything else is `INVALID_TOKEN`.
     */
    async redeem(token, purpose, ctx, options) {
        await this.deps.limits?.beforeTokenUse(ctx.ip);
        const parsed = parseToken(token);
        if (!parsed)
            throw new AuthError("INVALID_TOKEN");
        let prepared = undefined;
        if (options.prepare) {
            await this.owner(await this.deps.tokens.find(parsed.userId, purpose, parsed.hash, this.deps.now()));
            prepared = await options.prepare();
        }
        const lookup = options.consume ? this.deps.tokens.consume.bind(this.deps.tokens) : this.deps.tokens.find.bind(this.deps.tokens);
        // consume is atomic: of concurrent requests with one token, exactly one gets the record.
        const record = await lookup(parsed.userId, purpose, parsed.hash, this.deps.now());
        const user = await this.owner(record);
        await this.deps.limits?.tokenAccepted(ctx.ip);
        return { user, record: record, prepared };
    }
    /** Kills the user's live tokens of these purposes. */
    revoke(userId, purposes) {
        return this.deps.tokens.revoke(userId, purposes);
    }
    async owner(record) {
        if (!record)
            throw new AuthError("INVALID_TOKEN");
        const user = await this.deps.users.findById(record.userId);
        if (!user || !stillBound(record, user))
            throw new AuthError("INVALID_TOKEN");
        return user;
    }
}
