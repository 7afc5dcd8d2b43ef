import { AuthError } from "../errors.js";
/** Email verification: a single-use link to the stored address, bound to that address. */
export class EmailVerification {
    deps;
    constructor(deps) {
        this.deps = deps;
    }
    /** True when mail goes out (a mailer is configured). */
    get mailing() {
        return this.deps.notifier.enabled;
    }
    /** After registration: issues the first link and mails it, after the answer; a failure is reported. */
    sendInBackground(user, link) {
        if (!this.deps.notifier.enabled)
            return;
        this.send(user, link).catch((err) => this.deps.report("sending the verification email", err));
    }
    /**
     * `POST /request-verify-email`: a new link (replacing the older one) to the stored address,
     * limited per user and per client (each mail costs the user an inbox entry). Decided on the
     * stored record; `EMAIL_ALREADY_VERIFIED` when there is nothing to verify.
     */
    async resend(userId, link, ctx) {
        const user = await this.deps.users.findById(userId);
        if (!user)
            throw new AuthError("UNAUTHENTICATED");
        if (user.emailVerified)
            throw new AuthError("EMAIL_ALREADY_VERIFIED");
        // Without a mailer there is nothing to send: no token, and the user's resend budget is kept.
        if (!this.deps.notifier.enabled)
            return;
        await this.deps.limits?.beforeVerifyEmailRequest(user.id, ctx.ip);
        await this.send(user, link);
    }
    /**
     * Consumes the token and marks the address verified; `INVALID_TOKEN` for anything else.
     * `refresh` updates this request's copy of the user (its session or token family).
     */
    async verify(token, ctx, refresh) {
        const { user } = await this.deps.emailTokens.redeem(token, "verify-email", ctx, { consume: true });
        if (user.emailVerified)
            return user;
        const updated = await this.deps.users.update(user.id, { emailVerified: true, updatedAt: this.deps.now() });
        if (!updated)
            throw new AuthError("INVALID_TOKEN");
        // Every session and access token of the user sees it on its next request.
        await this.deps.credentials.userChanged(updated);
        await refresh(updated);
        this.deps.events.emit("onEmailVerified", ctx, { user: this.deps.serialize(updated) });
        return updated;
    }
    /** Issues a link for `user` and mails it to the stored address (registration, resend). */
    async send(user, link) {
        const ttl = this.deps.ttl;
        const token = await this.deps.emailTokens.issue(user, "verify-email", user.email, ttl);
        this.deps.notifier.send("verifyEmail", user.email, { user: this.deps.serialize(user), link: link(token), expiresInMinutes: ttl / 60 });
    }
}
