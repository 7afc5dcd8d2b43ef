import { createHmac } from "node:crypto";
import { AuthError } from "../../errors.js";
import { isPending } from "../../core/refresh-tokens.js";
import { requestContext } from "../request-context.js";
const IDENTITY = Symbol("gatehouse.bearer");
/**
 * Bearer tokens: short-lived access JWTs and rotating refresh tokens whose families live in
 * Redis next to the user's credential record. Each protected request verifies the JWT (CPU) and
 * reads its family with the record (one Redis round trip), so logout, revocation and password
 * changes end access tokens at once, and `req.user` is the record's copy of the user: a change
 * is seen by every access token on its next request.
 */
export class JwtStrategy {
    deps;
    constructor(deps) {
        this.deps = deps;
    }
    load = (req, _res, next) => {
        const marked = req;
        if (marked[IDENTITY])
            return next();
        this.identify(req).then((identity) => {
            marked[IDENTITY] = identity;
            next();
        }, next);
    };
    async identify(req) {
        const header = req.headers.authorization;
        if (header === undefined)
            return { user: null };
        const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
        if (!m)
            return { user: null };
        const now = this.deps.now();
        const claims = await this.deps.access.verify(m[1], now);
        if (!claims)
            return { user: null };
        // The family must still be alive, and of the record's epoch: logout, revocation and "revoke
        // all" end its access tokens at once.
        const read = await this.settled(claims.sub, async () => {
            const r = await this.deps.store.get(claims.sub, claims.sid, now);
            return r.status === "pending" ? { pending: claims.sub } : r;
        });
        const family = read.status === "live" ? read.family : null;
        const verdict = this.deps.sessions.validateFamily(family);
        if (verdict.status === "ended" || !family)
            return { user: null };
        // The family, read on every request anyway, holds the authentication time: POST /reauth
        // refreshes it without a new access token.
        return { user: verdict.user, familyId: claims.sid, auth: { authAt: family.authAt ?? family.createdAt, restricted: family.restricted !== undefined } };
    }
    /**
     * Runs `attempt`; when it meets a change stuck in flight, settles it and runs it once more. A
     * change still stuck then is an outage: 503, nobody let in.
     */
    async settled(userId, attempt) {
        let r = await attempt();
        if (!isPending(r))
            return r;
        await this.deps.credentials.settle(userId);
        r = await attempt();
        if (isPending(r))
            throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
        return r;
    }
    current(req) {
        return req[IDENTITY]?.user ?? null;
    }
    currentId(req) {
        return req[IDENTITY]?.familyId;
    }
    /** Bearer tokens are not sent by browsers on their own: no cross-site forgery to stop. */
    csrfErrors = [];
    checkCsrf() { }
    async pair(user, family, refreshToken) {
        const authTime = Math.floor((family.authAt ?? family.createdAt) / 1000);
        const accessToken = await this.deps.access.sign({ sub: user.id, sid: family.id, auth_time: authTime }, this.deps.now());
        return { access_token: accessToken, refresh_token: refreshToken, token_type: "bearer", expires_in: this.deps.access.ttl };
    }
    async signIn(req, user, grant) {
        const ctx = requestContext(req);
        const { family, token } = await this.settled(user.id, () => this.deps.refresh.start(user, ctx, grant));
        return this.pair(user, family, token);
    }
    authState(req) {
        return req[IDENTITY]?.auth ?? null;
    }
    async markAuthenticated(req, authAt) {
        const identity = req[IDENTITY];
        if (!identity?.user || !identity.familyId)
            return;
        await this.deps.store.authenticated(identity.user.id, identity.familyId, authAt);
        identity.auth = { authAt, restricted: false };
    }
    async refresh(req, input) {
        const presented = input.refresh_token;
        const ctx = requestContext(req);
        // Pending is answered only for a token whose MAC checked out: its user id is ours.
        const { family, token } = await this.settled(this.deps.refresh.parse(presented)?.userId ?? "", () => this.deps.refresh.rotateOrThrow(presented, ctx));
        return this.pair(family.user, family, token);
    }
    /**
     * `POST /revoke` (RFC 7009): ends the family of a refresh token or of an access token. The hint
     * only orders the two lookups; a token that is neither, or no longer live, changes nothing.
     */
    async revoke(req, token, hint) {
        const ctx = requestContext(req);
        const parsed = this.deps.refresh.parse(token);
        const asRefresh = () => (parsed ? this.settled(parsed.userId, () => this.deps.refresh.revoke(token, ctx)) : Promise.resolve(false));
        const asAccess = async () => {
            // Signature, issuer, audience, type and expiry are checked: a forged token ends nothing.
            const claims = await this.deps.access.verify(token, this.deps.now());
            return claims ? this.settled(claims.sub, () => this.deps.refresh.endFamily(claims.sub, claims.sid, ctx)) : false;
        };
        for (const attempt of hint === "access_token" ? [asAccess, asRefresh] : [asRefresh, asAccess]) {
            if (await attempt())
                return;
        }
    }
    /** Ends the family of the presented access token, and of `refresh_token` if one of the same user is sent. */
    async signOut(req) {
        const user = this.current(req);
        const familyId = this.currentId(req);
        await this.deps.store.delete(user.id, familyId);
        const sent = req.body?.refresh_token;
        const parsed = typeof sent === "string" ? this.deps.refresh.parse(sent) : null;
        if (parsed && parsed.userId === user.id && parsed.familyId !== familyId)
            await this.deps.store.delete(user.id, parsed.familyId);
    }
    /** The old pair dies with every other family; a new family starts for this client. */
    async afterPasswordChange(req, user) {
        const familyId = this.currentId(req);
        if (familyId)
            await this.deps.store.delete(user.id, familyId);
        return this.signIn(req, user);
    }
    kept(req) {
        const familyId = this.currentId(req);
        return familyId ? { family: familyId } : undefined;
    }
    /** Ends every other family of the signed-in user in one step; resolves how many were live. */
    async revokeOthers(req) {
        const user = this.current(req);
        const others = (await this.deps.store.list(user.id, this.deps.now())).filter((f) => f.id !== this.currentId(req)).length;
        // Nothing to end, nothing to write (a family begun meanwhile is a new sign-in, not one to end).
        if (others > 0)
            await this.deps.credentials.revokeAll(user.id, this.kept(req));
        return others;
    }
    handle(familyId) {
        return createHmac("sha256", this.deps.secrets[0]).update(`family-handle:${familyId}`).digest("base64url").slice(0, 22);
    }
    async list(req) {
        const user = this.current(req);
        const families = await this.deps.store.list(user.id, this.deps.now());
        return families
            .map((f) => ({
            id: this.handle(f.id),
            createdAt: new Date(f.createdAt).toISOString(),
            lastSeenAt: new Date(f.seenAt).toISOString(),
            ip: f.ip ?? null,
            userAgent: f.userAgent ?? null,
            current: f.id === this.currentId(req),
        }))
            .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    }
    async revokeOne(req, _res, handle) {
        const user = this.current(req);
        const families = await this.deps.store.list(user.id, this.deps.now());
        const family = families.find((f) => this.handle(f.id) === handle);
        if (!family)
            throw new AuthError("NOT_FOUND");
        await this.deps.store.delete(user.id, family.id);
    }
    /**
     * This request's identity takes the changed user. Every other access token reads the record's
     * copy on its next request (the change commits it there), so there is nothing to fan out.
     */
    async updateUser(req, user) {
        const identity = req[IDENTITY];
        if (identity?.user && identity.user.id === user.id)
            identity.user = this.deps.serialize(user);
    }
}
