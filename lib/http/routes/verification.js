import { emailedLinkRoutes } from "../link-routes.js";
import { linksFor } from "../links.js";
import { requestContext } from "../request-context.js";
/** POST /request-verify-email, GET and POST /verify-email. The rules live in core/verification.ts. */
export function verificationRoutes(routes, services) {
    const { verification, strategy, serialize, opts, pages } = services;
    const requestVerifyEmail = async (req, res) => {
        await verification.resend(req.user.id, linksFor(req, opts).verifyEmail, requestContext(req));
        res.status(202).end();
    };
    routes.route({
        method: "post",
        path: "/request-verify-email",
        summary: "Send the verification email again",
        description: "The new link replaces the older one.",
        auth: true,
        success: { status: 202, description: "The email is on its way." },
        errors: ["UNAUTHENTICATED", "EMAIL_ALREADY_VERIFIED", "TOO_MANY_REQUESTS"],
    }, requestVerifyEmail);
    emailedLinkRoutes(routes, {
        path: "/verify-email",
        summary: "Verify the email address",
        effect: "Consumes the token and marks the address verified",
        confirmPage: "confirmEmail",
        donePage: "emailConfirmed",
        redirect: opts.mail.verifiedRedirect,
        errors: ["INVALID_TOKEN", "TOO_MANY_REQUESTS"],
        // This request's session (if it is the user's) sees the change at once.
        redeem: (token, req) => verification.verify(token, requestContext(req), (changed) => strategy.updateUser(req, changed)),
        serialize,
        pages,
    });
}
