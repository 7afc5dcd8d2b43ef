import { AuthError } from "../errors.js";
import { normalizeEmail } from "./email-address.js";
import { checkPassword } from "./password-policy.js";
/** What a signed-in user does to their own account: change password or email, delete it. */
export class Account {
    deps;
    constructor(deps) {
        this.deps = deps;
    }
    /** The stored user behind a session; `UNAUTHENTICATED` when it is gone. */
    async current(userId) {
        const user = await this.deps.users.findById(userId);
        if (!user)
            throw new AuthError("UNAUTHENTICATED");
        return user;
    }
    /**
     * Re-authentication for sensitive changes: `INVALID_PASSWORD` when the password is wrong. It
     * counts like a login attempt, so a stolen session cannot brute-force the password.
     */
    async confirmPassword(user, password, ctx) {
        const proven = await this.deps.proof.prove(user.email, password, ctx, async () => user);
        if (!proven)
            throw new AuthError("INVALID_PASSWORD");
        return proven;
    }
    /**
     * Sets a new password after checking the current one. Every other session of the user ends in
     * the same step (`keep` survives and `rotate` moves it on: a new session id or a fresh token
     * pair), outstanding reset and email-change tokens die, and the user gets a notice.
     */
    async changePassword(userId, passwords, keep, ctx, rotate) {
        const errors = checkPassword(passwords.next, this.deps.policy, "newPassword");
        if (errors.length)
            throw new AuthError("VALIDATION_FAILED", { errors });
        const user = await this.current(userId);
        await this.confirmPassword(user, passwords.current, ctx);
        const passwordHash = await this.deps.passwords.hash(passwords.next);
        const updated = await this.deps.credentials.changePassword(user.id, passwordHash, () => this.deps.users.update(user.id, { passwordHash, updatedAt: this.deps.now() }), keep);
        if (!updated)
            throw new AuthError("UNAUTHENTICATED");
        // Bound to the old password, these are dead already; removing them keeps the store tidy.
        await this.deps.emailTokens.revoke(user.id, ["reset-password", "change-email"]);
        const answer = await rotate(updated);
        this.deps.notifier.send("passwordChanged", updated.email, { user: this.deps.serialize(updated) });
        this.deps.events.emit("onPasswordChanged", ctx, { user: this.deps.serialize(updated) });
        return answer;
    }
    /**
     * Starts an email change: after the password check, a confirmation link goes to the new
     * address and a notice to the old one. The answer is the same whether or not the new address
     * is taken (no enumeration); a taken address simply gets no link. A newer request replaces a
     * pending one. Nothing changes until the link is used.
     */
    async requestEmailChange(userId, password, newEmailRaw, link, ctx) {
        await this.deps.limits?.beforeChangeEmail(userId, ctx.ip);
        const user = await this.current(userId);
        await this.confirmPassword(user, password, ctx);
        const newEmail = normalizeEmail(newEmailRaw);
        // Any new request replaces a pending one, including a request that sends no link.
        await this.deps.emailTokens.revoke(user.id, ["change-email"]);
        if (newEmail === user.email)
            return;
        const owner = await this.deps.users.findByEmail(newEmail);
        const ttl = this.deps.changeEmailTtl;
        const publicUser = this.deps.serialize(user);
        if (!owner) {
            const token = await this.deps.emailTokens.issue(user, "change-email", newEmail, ttl);
            this.deps.notifier.send("confirmEmailChange", newEmail, { user: publicUser, newEmail, link: link(token), expiresInMinutes: ttl / 60 });
        }
        this.deps.notifier.send("emailChanged", user.email, { user: publicUser, newEmail });
    }
    /**
     * Applies an email change with the link's token: the new address must still be free (the
     * store claims it atomically: of two users racing for it, one wins), and it is verified by
     * this very link. `INVALID_TOKEN` if the token is unknown, used, expired, or the password
     * changed since it was issued. `refresh` updates this request's copy of the user.
     */
    async confirmEmailChange(token, ctx, refresh) {
        const { user, record } = await this.deps.emailTokens.redeem(token, "change-email", ctx, { consume: true });
        const changed = await this.deps.users.changeEmail(user.id, record.target, this.deps.now());
        if (changed === "email_taken")
            throw new AuthError("EMAIL_ALREADY_REGISTERED");
        if (!changed)
            throw new AuthError("INVALID_TOKEN");
        // A verification link for the old address is dead now (bound to it); this link proved the new one.
        await this.deps.emailTokens.revoke(user.id, ["verify-email"]);
        const verified = (await this.deps.users.update(user.id, { emailVerified: true, updatedAt: this.deps.now() })) ?? changed;
        await this.deps.credentials.userChanged(verified);
        await refresh(verified);
        this.deps.events.emit("onEmailChanged", ctx, { user: this.deps.serialize(verified), oldEmail: user.email });
        return verified;
    }
    /**
     * Deletes the account after the password check: tokens, the user (its email is free again),
     * its second factor and every session; `end` signs this request out. A second, concurrent delete finds no user
     * and answers as signed out.
     */
    async delete(userId, password, ctx, end) {
        const user = await this.current(userId);
        await this.confirmPassword(user, password, ctx);
        await this.deps.emailTokens.revoke(user.id, ["verify-email", "reset-password", "change-email"]);
        // Every session and token family of the user ends in the step that records the deletion.
        if (!(await this.deps.credentials.deleteUser(user.id, () => this.deps.users.delete(user.id))))
            throw new AuthError("UNAUTHENTICATED");
        // After the user is gone, never before: a failure here leaves orphaned state nobody can use,
        // never a live account whose second factor was removed.
        await this.deps.secondFactor?.forget(user.id);
        await end();
        this.deps.events.emit("onAccountDeleted", ctx, { user: this.deps.serialize(user) });
    }
}
