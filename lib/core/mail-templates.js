/** Escapes text for HTML bodies (names and addresses are user input). */
export function escapeHtml(s) {
    return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function layout(ctx, paragraphs, action) {
    const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n");
    const button = action
        ? `<p><a href="${escapeHtml(action.link)}" style="display:inline-block;padding:10px 16px;background:#1f4fd1;color:#fff;text-decoration:none;border-radius:6px">${escapeHtml(action.label)}</a></p>\n<p style="font-size:12px;color:#666">Or paste this link into your browser: ${escapeHtml(action.link)}</p>`
        : "";
    return `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#222">\n${body}\n${button}\n<p style="font-size:12px;color:#666">${escapeHtml(ctx.appName)}</p></body></html>`;
}
/** "24 hours", "90 minutes", "1 hour". */
export function duration(minutes = 0) {
    const m = Math.round(minutes);
    if (m >= 120 && m % 60 === 0)
        return `${m / 60} hours`;
    if (m === 60)
        return "1 hour";
    return m === 1 ? "1 minute" : `${m} minutes`;
}
/** "at 2026-01-01 10:00:00 UTC from 203.0.113.7 (Firefox ...)" */
function where(a) {
    if (!a)
        return "";
    const time = `${a.time.replace("T", " ").replace(/\.\d+Z$|Z$/, "")} UTC`;
    // The user agent is whatever the client sent: control characters out, length bounded.
    // eslint-disable-next-line no-control-regex
    const agent = a.userAgent?.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, "").slice(0, 120);
    return ` at ${time} from ${a.ip ?? "an unknown address"}${agent ? ` (browser: ${agent})` : ""}`;
}
/**
 * "Hello <name>," only once the address is verified: the name is text a person typed, and until
 * they proved the address, a mail to it must not carry their words in the app's voice (sign up
 * as "Your bank: call 555-0100" with a victim's address, and the app would mail it for you).
 */
const greeting = (ctx) => (ctx.user.name && ctx.user.emailVerified ? `Hello ${ctx.user.name},` : "Hello,");
/** The shipped English templates. Replace any of them with the `mail.templates` option. */
export const DEFAULT_TEMPLATES = {
    verifyEmail: (ctx) => {
        const lines = [greeting(ctx), `Please confirm that ${ctx.user.email} is your email address for ${ctx.appName}.`, `The link is valid for ${duration(ctx.expiresInMinutes)}. If you did not sign up, ignore this email.`];
        return {
            subject: `Confirm your email address for ${ctx.appName}`,
            text: `${lines[0]}\n\n${lines[1]}\n\n${ctx.link}\n\n${lines[2]}\n`,
            html: layout(ctx, lines, { label: "Confirm my email", link: ctx.link }),
        };
    },
    resetPassword: (ctx) => {
        const lines = [greeting(ctx), `Someone asked to reset the password of your ${ctx.appName} account. Use the link below to choose a new one.`, `The link is valid for ${duration(ctx.expiresInMinutes)} and works once. If you did not ask for this, ignore this email: your password stays as it is.`];
        return {
            subject: `Reset your ${ctx.appName} password`,
            text: `${lines[0]}\n\n${lines[1]}\n\n${ctx.link}\n\n${lines[2]}\n`,
            html: layout(ctx, lines, { label: "Choose a new password", link: ctx.link }),
        };
    },
    passwordChanged: (ctx) => {
        const lines = [greeting(ctx), `The password of your ${ctx.appName} account was just changed, and every other session was signed out.`, `If this was not you, reset your password at once and contact us: ${ctx.appUrl}`];
        return { subject: `Your ${ctx.appName} password was changed`, text: `${lines.join("\n\n")}\n`, html: layout(ctx, lines) };
    },
    // To an address nobody has proven yet: no name, whatever the account's state.
    confirmEmailChange: (ctx) => {
        const lines = ["Hello,", `Please confirm that you want to use ${ctx.newEmail} for your ${ctx.appName} account.`, `The link is valid for ${duration(ctx.expiresInMinutes)}. If you did not ask for this, ignore this email.`];
        return {
            subject: `Confirm your new email address for ${ctx.appName}`,
            text: `${lines[0]}\n\n${lines[1]}\n\n${ctx.link}\n\n${lines[2]}\n`,
            html: layout(ctx, lines, { label: "Confirm my new email", link: ctx.link }),
        };
    },
    registerAttempt: (ctx) => {
        const lines = [
            greeting(ctx),
            `Someone tried to create a ${ctx.appName} account with this email address. There already is one, so nothing was created.`,
            `If it was you, sign in here: ${ctx.signInLink}`,
            `Forgot your password? Choose a new one with this link (valid for ${duration(ctx.expiresInMinutes)}, works once): ${ctx.link}`,
            "If it was not you, ignore this email: your account has not changed.",
        ];
        return {
            subject: `Someone tried to create a ${ctx.appName} account with your address`,
            text: `${lines.join("\n\n")}\n`,
            html: layout(ctx, [lines[0], lines[1], lines[4]], { label: "Choose a new password", link: ctx.link }).replace("<p><a ", `<p><a href="${escapeHtml(ctx.signInLink ?? ctx.appUrl)}">Sign in</a></p>\n<p><a `),
        };
    },
    emailChanged: (ctx) => {
        const lines = [greeting(ctx), `Someone asked to change the email address of your ${ctx.appName} account from ${ctx.user.email} to ${ctx.newEmail}. The change takes effect once the new address is confirmed.`, `If this was not you, change your password at once: ${ctx.appUrl}`];
        return { subject: `Your ${ctx.appName} email address is being changed`, text: `${lines.join("\n\n")}\n`, html: layout(ctx, lines) };
    },
    mfaEnabled: (ctx) => {
        const lines = [greeting(ctx), `Two-step sign-in was turned on for your ${ctx.appName} account${where(ctx.activity)}. Signing in now needs a code from your authenticator app.`, `If this was not you, reset your password at once and contact us: ${ctx.appUrl}`];
        return { subject: `Two-step sign-in is on for your ${ctx.appName} account`, text: `${lines.join("\n\n")}\n`, html: layout(ctx, lines) };
    },
    mfaDisabled: (ctx) => {
        const lines = [greeting(ctx), `Two-step sign-in was turned off for your ${ctx.appName} account${where(ctx.activity)}. Your password alone now signs you in.`, `If this was not you, reset your password at once, turn two-step sign-in on again and contact us: ${ctx.appUrl}`];
        return { subject: `Two-step sign-in was turned off for your ${ctx.appName} account`, text: `${lines.join("\n\n")}\n`, html: layout(ctx, lines) };
    },
    mfaRecoveryCodeUsed: (ctx) => {
        const left = ctx.recoveryCodesLeft ?? 0;
        const lines = [greeting(ctx), `A recovery code of your ${ctx.appName} account was used${where(ctx.activity)}. ${left === 1 ? "1 unused code is" : `${left} unused codes are`} left; each works once.`, `If this was not you, reset your password at once and create new recovery codes: ${ctx.appUrl}`];
        return { subject: `A recovery code of your ${ctx.appName} account was used`, text: `${lines.join("\n\n")}\n`, html: layout(ctx, lines) };
    },
};
