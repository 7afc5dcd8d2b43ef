import QRCode from "qrcode";
import { fields } from "../input.js";
import { requestContext } from "../request-context.js";
/**
 * GET /mfa, POST /mfa/totp/setup, /mfa/totp/enable, /mfa/totp/disable, /mfa/recovery-codes,
 * /mfa/verify, /reauth. The rules live in core/mfa.ts.
 */
export function mfaRoutes(routes, services) {
    const { mfa, strategy, serialize, opts } = services;
    const jwt = opts.mode === "jwt";
    const window = `${opts.mfa.stepUpWindow} s`;
    routes.route({
        method: "get",
        path: "/mfa",
        summary: "Whether a second factor is on",
        auth: true,
        restricted: true,
        success: { status: 200, description: "The second factor's status.", shape: "MfaStatus" },
        errors: ["UNAUTHENTICATED"],
    }, async function mfaStatus(req, res) {
        res.json({ ...(await mfa.status(req.user.id)), required: opts.mfa.required(req.user) });
    });
    routes.route({
        method: "post",
        path: "/mfa/totp/setup",
        summary: "Start TOTP enrollment",
        description: "A new secret (replacing one not yet confirmed, valid 10 minutes), its otpauth:// URI and a QR code. Nothing is on until POST /mfa/totp/enable.",
        auth: true,
        restricted: true,
        body: [],
        success: { status: 200, description: "The secret to scan or type.", shape: "TotpSetup" },
        errors: ["UNAUTHENTICATED", "MFA_ALREADY_ENABLED"],
    }, async function totpSetup(req, res) {
        const { secret, otpauthUrl } = await mfa.setup(req.user.id);
        // Rendered here, in process: the secret never leaves the server for a QR service.
        const svg = await QRCode.toString(otpauthUrl, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
        res.json({ secret, otpauthUrl, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}` });
    });
    routes.route({
        method: "post",
        path: "/mfa/totp/enable",
        summary: "Confirm TOTP enrollment with a code",
        description: "Turns the second factor on once a code of the new secret is right; answers 10 recovery codes, shown this once. Sends a notice mail. Lifts a sign-in restricted to enrollment.",
        auth: true,
        restricted: true,
        body: [fields.code("code", true, "A 6-digit code from the authenticator app.")],
        success: { status: 200, description: "On; the recovery codes.", shape: "RecoveryCodes" },
        errors: ["UNAUTHENTICATED", "INVALID_MFA_CODE", "MFA_ALREADY_ENABLED", "MFA_SETUP_NOT_STARTED", "VALIDATION_FAILED"],
    }, async function totpEnable(req, res, input) {
        const answer = await mfa.enable(req.user.id, input.code, requestContext(req));
        // Proving the code is an authentication: the sign-in counts as fresh and is no longer restricted.
        await strategy.markAuthenticated(req, opts.now());
        res.json(answer);
    });
    routes.route({
        method: "post",
        path: "/mfa/totp/disable",
        summary: "Turn the second factor off",
        description: `Needs the password and a code (TOTP or recovery), and a sign-in or re-authentication within ${window}. Removes the secret and the recovery codes; sends a notice mail.`,
        auth: true,
        recentAuth: true,
        body: [fields.password(), fields.code()],
        success: { status: 204, description: "Off." },
        errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "INVALID_MFA_CODE", "MFA_NOT_ENABLED", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function totpDisable(req, res, input) {
        await mfa.disable(req.user.id, input.password, input.code, requestContext(req));
        res.status(204).end();
    });
    routes.route({
        method: "post",
        path: "/mfa/recovery-codes",
        summary: "New recovery codes",
        description: `Needs the password and a code, and a sign-in or re-authentication within ${window}. The old codes are dead at once.`,
        auth: true,
        recentAuth: true,
        body: [fields.password(), fields.code()],
        success: { status: 200, description: "The new codes, shown this once.", shape: "RecoveryCodes" },
        errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "INVALID_MFA_CODE", "MFA_NOT_ENABLED", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function newRecoveryCodes(req, res, input) {
        res.json(await mfa.regenerateRecoveryCodes(req.user.id, input.password, input.code, requestContext(req)));
    });
    routes.route({
        method: "post",
        path: "/mfa/verify",
        summary: "Finish a two-step sign-in",
        description: `The \`mfaToken\` from POST /login${jwt ? " or POST /token" : ""} and a TOTP code (or a recovery code). Works once, for 5 minutes, from the client that passed the password; counts toward the login lockout, and ${opts.mfa.maxAttempts} wrong codes end the step. ${jwt ? "Answers the user and a token pair." : "Answers the user and the CSRF token, and sets a new session cookie."}`,
        body: [fields.token("mfaToken", "From the login answer."), fields.code()],
        success: { status: 200, description: "Signed in.", shape: jwt ? "JwtLogin" : "SessionLogin" },
        errors: ["INVALID_MFA_CODE", "MFA_CHALLENGE_INVALID", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function mfaVerify(req, res, input) {
        const { user, session } = await mfa.verify(input.mfaToken, input.code, requestContext(req), (u, grant) => strategy.signIn(req, u, grant));
        res.json({ user: serialize(user), ...session });
    });
    routes.route({
        method: "post",
        path: "/reauth",
        summary: "Re-authenticate (step-up)",
        description: `The password, and a code when a second factor is on. Sensitive actions need this (or a sign-in) within ${window}; routes of the app ask with \`requireUser({ recentAuth })\`. Counts toward the login lockout.`,
        auth: true,
        body: [fields.password(), fields.code("code", false, "Needed when a second factor is on: a TOTP code or a recovery code.")],
        success: { status: 204, description: "Authenticated just now." },
        errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "INVALID_MFA_CODE", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function reauth(req, res, input) {
        const authAt = await mfa.reauthenticate(req.user.id, input.password, input.code, requestContext(req));
        await strategy.markAuthenticated(req, authAt);
        res.status(204).end();
    });
}
