import { AuthError } from "../../errors.js";
import { fields } from "../input.js";
import { requestContext } from "../request-context.js";
/**
 * POST /logout, /refresh, /revoke (JWT mode); GET /me, /csrf (session mode); GET /sessions, DELETE /sessions/:id,
 * DELETE /sessions. The rules live in core/sessions.ts; the strategy carries the credential.
 */
export function sessionRoutes(routes, services) {
    const { sessions, strategy, bearer, csrf, opts } = services;
    const jwt = opts.mode === "jwt";
    const what = jwt ? "refresh-token families" : "sessions";
    const logout = async (req, res) => {
        await sessions.signOut(req.user, requestContext(req), () => strategy.signOut(req, res));
        res.status(204).end();
    };
    routes.route({
        method: "post",
        path: "/logout",
        summary: "Sign out",
        description: jwt ? "Ends the access token's refresh family (and that of `refresh_token`, if sent): the access token is dead at once." : "Deletes the session in Redis and clears the cookie.",
        auth: true,
        restricted: true,
        body: jwt ? [fields.optionalToken("refresh_token", "Also end this refresh token's family.")] : [],
        success: { status: 204, description: "Signed out." },
        errors: [],
    }, logout);
    const refresh = async (req, res, input) => {
        res.json(await strategy.refresh(req, input));
    };
    routes.route({
        method: "post",
        path: "/refresh",
        summary: jwt ? "Rotate the refresh token" : "Rotate the session",
        description: jwt
            ? "The old refresh token is dead; a replay after the grace window ends the whole family."
            : "Moves the session to a new id (the old one is dead) and re-reads the user.",
        // Session mode: the session cookie says who refreshes. JWT mode: the refresh token in the body.
        auth: !jwt,
        restricted: true,
        body: jwt ? [fields.token("refresh_token", "The current refresh token.")] : undefined,
        // OAuth clients send forms (the same rotation is POST /token with grant_type=refresh_token).
        form: jwt,
        success: { status: 200, description: jwt ? "A new token pair." : "The user and the new CSRF token.", shape: jwt ? "TokenPair" : "SessionLogin" },
        // Session mode: rotating reads the user, who may be gone (401).
        errors: jwt ? ["INVALID_REFRESH_TOKEN"] : ["UNAUTHENTICATED"],
    }, refresh);
    if (bearer) {
        routes.route({
            method: "post",
            path: "/revoke",
            summary: "Revoke a token (RFC 7009)",
            description: "Ends the refresh-token family of `token`: a refresh token's, or an access token's (its family, so the access token is dead at once too). " +
                "The same 200 whether or not the token was live. Errors follow RFC 6749 §5.2.",
            body: [fields.revocable(), fields.tokenTypeHint()],
            form: true,
            oauth: true,
            success: { status: 200, description: "Revoked, or was not live (an empty JSON object)." },
            errors: [],
        }, async function revoke(req, res, input) {
            await bearer.revoke(req, input.token, input.token_type_hint);
            res.json({});
        });
    }
    const me = (req, res) => {
        res.json({ user: req.user });
    };
    routes.route({ method: "get", path: "/me", summary: "The signed-in user", auth: true, restricted: true, success: { status: 200, description: "The user.", shape: "UserAnswer" }, errors: [] }, me);
    if (!jwt) {
        const csrfToken = async (req, res) => {
            if (!req.session)
                throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
            const signedIn = strategy.currentId(req) !== undefined;
            // A signed-in request read its session from the store; an anonymous one touched nothing,
            // so ask the store once: a token while it is down would be a 200 for a site that cannot sign in.
            if (!signedIn)
                await services.health();
            res.json({ csrfToken: csrf.issue(req, res, signedIn) });
        };
        routes.route({
            method: "get",
            path: "/csrf",
            summary: "The CSRF token",
            description: "Send it as `X-CSRF-Token` on unsafe requests. Signed in: the session's token. Otherwise a signed pre-sign-in token, also set as the HttpOnly cookie " +
                "`<session cookie>.csrf`: nothing is stored for it, and signing in replaces it with the new session's token.",
            success: { status: 200, description: "The token.", shape: "CsrfToken" },
            errors: [],
        }, csrfToken);
    }
    const listSessions = async (req, res) => {
        res.json({ sessions: await strategy.list(req) });
    };
    routes.route({
        method: "get",
        path: "/sessions",
        summary: `The user's live ${what}`,
        auth: true,
        success: { status: 200, description: "Newest first; `current` marks this request's.", shape: "Sessions" },
        errors: [],
    }, listSessions);
    const revokeOne = async (req, res) => {
        await sessions.revoke(req.user, requestContext(req), async () => {
            await strategy.revokeOne(req, res, String(req.params.id));
            return 1;
        });
        res.status(204).end();
    };
    routes.route({
        method: "delete",
        path: "/sessions/:id",
        summary: "End one of the user's sessions",
        description: "`id` is a handle from GET /sessions; another user's handle is 404.",
        auth: true,
        success: { status: 204, description: "Ended." },
        errors: ["NOT_FOUND"],
    }, revokeOne);
    const revokeOthers = async (req, res) => {
        await sessions.revoke(req.user, requestContext(req), () => strategy.revokeOthers(req));
        res.status(204).end();
    };
    routes.route({
        method: "delete",
        path: "/sessions",
        summary: "End every other session",
        auth: true,
        success: { status: 204, description: "Every session but this one ended." },
        errors: [],
    }, revokeOthers);
}
