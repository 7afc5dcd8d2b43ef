import { AuthError, isAuthError } from "../errors.js";
import { fields } from "./input.js";
import { mountPath } from "./links.js";
import { isFormPost, sendPage, wantsJsonOnly } from "./pages.js";
/**
 * Registers `GET <path>?token=` and `POST <path>` for an emailed link, safe against mail scanners
 * (which fetch every link, with HEAD and with browser-like GETs, before the person clicks):
 * - a GET that asks for JSON only (an API client) redeems the token and answers `{user}`;
 * - every other GET and every HEAD answers a confirmation page whose one button posts the token,
 *   and changes nothing (the token is not even looked up, so a scanner spends nothing);
 * - the POST takes JSON (answers `{user}`) or the page's form (answers a result page, or
 *   redirects to `redirect`).
 */
export function emailedLinkRoutes(routes, link) {
    const redirectTo = (status) => {
        const url = new URL(link.redirect);
        url.searchParams.set("status", status);
        return url.href;
    };
    routes.route({
        method: "get",
        path: link.path,
        summary: `${link.summary} (the emailed link)`,
        description: `With \`Accept: application/json\` (and without \`text/html\`): ${link.effect}, answers the user. ` +
            "Any other GET (a browser, a mail scanner) and every HEAD: a confirmation page whose button posts the token to the POST operation; the token is not consumed. " +
            "Answers with `Referrer-Policy: no-referrer`; the page with a strict Content-Security-Policy.",
        query: [{ name: "token", description: "The token from the email (exactly one)." }],
        success: { status: 200, description: "JSON-only clients: the user. Others: the confirmation page (text/html).", shape: "UserAnswer", html: true },
        errors: link.errors,
    }, async function emailedLink(req, res) {
        // The token is in this URL: keep it out of the Referer of anything the answer leads to.
        res.setHeader("Referrer-Policy", "no-referrer");
        const token = req.query.token;
        // One string only: `?token=a&token=b` (parameter pollution) is an invalid token.
        const valid = typeof token === "string" && token.length >= 1 && token.length <= 256;
        if (wantsJsonOnly(req)) {
            if (!valid)
                throw new AuthError("INVALID_TOKEN");
            return void res.json({ user: link.serialize(await link.redeem(token, req)) });
        }
        if (!valid)
            return sendPage(req, res, link.pages, "linkInvalid", 400);
        sendPage(req, res, link.pages, link.confirmPage, 200, { action: `${mountPath(req)}${link.path}`, token });
    });
    routes.route({
        method: "post",
        path: link.path,
        summary: link.summary,
        description: `${link.effect}. JSON answers the user; the confirmation page's form (\`application/x-www-form-urlencoded\`) answers a result page` +
            (link.redirect ? " or a redirect to `mail.verifiedRedirect` with `?status=verified` or `?status=invalid`." : "."),
        body: [fields.token()],
        form: true,
        success: { status: 200, description: "The user (JSON), or the result page (text/html) for a form post.", shape: "UserAnswer", html: true },
        alternatives: link.redirect ? [{ status: 303, description: "A form post: redirect to `mail.verifiedRedirect` with the outcome (never the token)." }] : undefined,
        errors: [...link.errors],
    }, async function redeemLink(req, res, input) {
        if (!isFormPost(req))
            return void res.json({ user: link.serialize(await link.redeem(input.token, req)) });
        try {
            await link.redeem(input.token, req);
            if (link.redirect)
                return res.redirect(303, redirectTo("verified"));
            sendPage(req, res, link.pages, link.donePage);
        }
        catch (err) {
            if (!isAuthError(err))
                throw err;
            const invalid = err.code === "INVALID_TOKEN" || err.code === "EMAIL_ALREADY_REGISTERED";
            if (invalid && link.redirect)
                return res.redirect(303, redirectTo("invalid"));
            if (err.retryAfter !== undefined)
                res.setHeader("Retry-After", String(Math.max(1, Math.ceil(err.retryAfter))));
            sendPage(req, res, link.pages, invalid ? "linkInvalid" : "failed", err.status);
        }
    });
}
