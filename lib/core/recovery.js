import { AuthError } from "../errors.js";
import { normalizeEmail } from "./email-address.js";
import { checkPassword } from "./password-policy.js";
/** Password reset by email: forgot-password, validate, reset. */
export class Recovery {
    deps;
    constructor(deps) {
        this.deps = deps;
    }
    /**
     * Starts a reset for `email` if an account has it. Resolves as soon as the account lookup is
     * done, the same way for known and unknown emails: issuing the token and sending the mail
     * happen after, so neither the answer nor its timing says whether the account exists.
     */
    async forgot(email, link, ctx) {
        // Keyed by the email whether or not an account has it: the same answers for both.
        await this.deps.limits?.beforeForgotPassword(email, ctx.ip);
        // One lookup, known or not: the shipped stores read as often for an unknown address as for a
        // known one (a store of the app's own should do the same; the conformance suite checks ours).
        const user = await this.deps.users.findByEmail(normalizeEmail(email));
        if (!user)
            return;
        this.issue(user, link).catch((err) => this.deps.report("issuing a password reset", err));
    }
    async issue(user, link) {
        const ttl = this.deps.ttl;
        // One live reset token per user: this replaces (kills) any older one.
        const token = await this.deps.emailTokens.issue(user, "reset-password", user.email, ttl);
        // Sent to the stored address, never to what the request typed.
        this.deps.notifier.send("resetPassword", user.email, { user: this.deps.serialize(user), link: link(token), expiresInMinutes: ttl / 60 });
    }
    /**
     * `preventEnumeration`: someone tried to register the owner's address. The owner gets a notice
     * with a sign-in link and a fresh reset link (in case that someone was them and forgot), sent to
     * the stored address; the attempt's own input (name, password) appears nowhere in it.
     */
    async noticeRegisterAttempt(owner, links) {
        const ttl = this.deps.ttl;
        const token = await this.deps.emailTokens.issue(owner, "reset-password", owner.email, ttl);
        this.deps.notifier.send("registerAttempt", owner.email, { user: this.deps.serialize(owner), link: links.reset(token), signInLink: links.signIn, expiresInMinutes: ttl / 60 });
    }
    /** Resolves when the token would be accepted by `reset` now; `INVALID_TOKEN` otherwise. Consumes nothing. */
    async validate(token, ctx) {
        await this.deps.emailTokens.redeem(token, "reset-password", ctx, { consume: false });
    }
    /**
     * Sets a new password with a reset token: policy first (a rejected password does not burn the
     * token), the token checked before hashing (guesses buy no hashing time), then consumed
     * atomically, the password stored, every session of the user ended, and a notice sent.
     */
    async reset(token, password, ctx) {
        const errors = checkPassword(password, this.deps.policy);
        if (errors.length)
            throw new AuthError("VALIDATION_FAILED", { errors });
        const { user, prepared: passwordHash } = await this.deps.emailTokens.redeem(token, "reset-password", ctx, {
            consume: true,
            prepare: () => this.deps.passwords.hash(password),
        });
        // Every session and token family of the user ends in the step that records the new password.
        const updated = await this.deps.credentials.changePassword(user.id, passwordHash, () => this.deps.users.update(user.id, { passwordHash, updatedAt: this.deps.now() }));
        if (!updated)
            throw new AuthError("INVALID_TOKEN");
        // The owner proved they read the account's mail: lift the lockout the old password collected.
        await this.deps.limits?.passwordReset(updated.email, ctx.ip);
        // A pending email change dies with the old password too.
        await this.deps.emailTokens.revoke(user.id, ["change-email"]);
        this.deps.notifier.send("passwordChanged", updated.email, { user: this.deps.serialize(updated) });
        this.deps.events.emit("onPasswordReset", ctx, { user: this.deps.serialize(updated) });
        return updated;
    }
}
