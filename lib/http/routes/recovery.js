import { fields } from "../input.js";
import { linksFor } from "../links.js";
import { requestContext } from "../request-context.js";
/** POST /forgot-password, /forgot-password/validate, /reset-password. The rules live in core/recovery.ts. */
export function recoveryRoutes(routes, services) {
    const { recovery, opts } = services;
    routes.route({
        method: "post",
        path: "/forgot-password",
        summary: "Ask for a password-reset email",
        description: "The same answer, in about the same time, whether or not an account has this email; the link goes only to the stored address.",
        body: [fields.email()],
        success: { status: 202, description: "If an account has this email, a link is on its way." },
        errors: ["VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function forgotPassword(req, res, input) {
        await recovery.forgot(input.email, linksFor(req, opts).resetPassword, requestContext(req));
        res.status(202).end();
    });
    routes.route({
        method: "post",
        path: "/forgot-password/validate",
        summary: "Check a reset token without using it",
        body: [fields.token()],
        success: { status: 200, description: "The token is valid.", shape: "Valid" },
        errors: ["INVALID_TOKEN", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function validateResetToken(req, res, input) {
        await recovery.validate(input.token, requestContext(req));
        res.json({ valid: true });
    });
    routes.route({
        method: "post",
        path: "/reset-password",
        summary: "Set a new password with a reset token",
        description: "Ends every session (and every refresh token and access token) of the user and sends a notice.",
        body: [fields.token(), fields.newPassword("password", opts.password)],
        success: { status: 204, description: "The password is changed." },
        errors: ["INVALID_TOKEN", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function resetPassword(req, res, input) {
        await recovery.reset(input.token, input.password, requestContext(req));
        res.status(204).end();
    });
}
