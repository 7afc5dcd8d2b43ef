import { fields } from "../input.js";
import { emailedLinkRoutes } from "../link-routes.js";
import { linksFor } from "../links.js";
import { requestContext } from "../request-context.js";
/**
 * POST /account/change-password, /account/change-email, GET and POST
 * /account/confirm-email-change, DELETE /account. The rules live in core/account.ts.
 */
export function accountRoutes(routes, services) {
    const { account, strategy, serialize, opts, pages } = services;
    const jwt = opts.mode === "jwt";
    routes.route({
        method: "post",
        path: "/account/change-password",
        summary: "Change the password",
        description: jwt
            ? "Every refresh token and access token of the user ends; a fresh pair comes back."
            : "This session moves to a new id (read the new CSRF token from GET /csrf); every other session ends.",
        auth: true,
        recentAuth: true,
        body: [fields.password("currentPassword"), fields.newPassword("newPassword", opts.password)],
        success: jwt ? { status: 200, description: "A fresh token pair.", shape: "TokenPair" } : { status: 204, description: "Changed." },
        errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function changePassword(req, res, input) {
        // A privilege change. Session mode: this session moves to a new id, answer 204.
        // JWT mode: a fresh pair replaces this one, answer 200.
        const pair = await account.changePassword(req.user.id, { current: input.currentPassword, next: input.newPassword }, strategy.kept(req), requestContext(req), (user) => strategy.afterPasswordChange(req, user));
        if (pair)
            res.json(pair);
        else
            res.status(204).end();
    });
    routes.route({
        method: "post",
        path: "/account/change-email",
        summary: "Start an email change",
        description: "Sends a confirmation link to the new address and a notice to the old one. The same answer whether or not the new address is taken.",
        auth: true,
        recentAuth: true,
        body: [fields.email("newEmail"), fields.password()],
        success: { status: 202, description: "Check the new inbox." },
        errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function changeEmail(req, res, input) {
        await account.requestEmailChange(req.user.id, input.password, input.newEmail, linksFor(req, opts).confirmEmailChange, requestContext(req));
        res.status(202).end();
    });
    emailedLinkRoutes(routes, {
        path: "/account/confirm-email-change",
        summary: "Confirm an email change",
        effect: "Consumes the token and moves the account to the new address, verified",
        confirmPage: "confirmEmailChange",
        donePage: "emailChangeConfirmed",
        redirect: undefined,
        errors: ["INVALID_TOKEN", "EMAIL_ALREADY_REGISTERED", "TOO_MANY_REQUESTS"],
        redeem: (token, req) => account.confirmEmailChange(token, requestContext(req), (changed) => strategy.updateUser(req, changed)),
        serialize,
        pages,
    });
    routes.route({
        method: "delete",
        path: "/account",
        summary: "Delete the account",
        description: "Removes the user, its second factor, every session and token; the email can register again.",
        auth: true,
        recentAuth: true,
        body: [fields.password()],
        success: { status: 204, description: "Deleted." },
        errors: ["UNAUTHENTICATED", "INVALID_PASSWORD", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    }, async function deleteAccount(req, res, input) {
        await account.delete(req.user.id, input.password, requestContext(req), () => strategy.signOut(req, res));
        res.status(204).end();
    });
}
