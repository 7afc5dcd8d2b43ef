import { randomBytes } from "node:crypto";
import { SignJWT, exportJWK, jwtVerify } from "jose";
/** The `typ` of access tokens (RFC 9068): a token of any other type is refused as an access token. */
const ACCESS_TYP = "at+jwt";
/** How far (seconds) another instance's clock may run ahead: an `iat` further in the future is refused. */
const CLOCK_SKEW = 30;
/** Verified tokens kept in memory (most recently used first out last). */
const CACHE_SIZE = 10_000;
/**
 * Access tokens with jose. Verification accepts exactly one algorithm, looks keys up only by
 * `kid` among the configured ones (a `jwk`, `jku` or `x5u` in the header is never used), and
 * requires `exp`, `iat`, `sub`, `jti`, `sid`, `aud`, `iss` and `typ: at+jwt`. A token whose
 * lifetime (`exp - iat`) exceeds the configured TTL, or issued in the future, is refused: a
 * token signed with a leaked or misused key cannot grant itself a long life.
 */
export class JoseAccessTokens {
    o;
    ttl;
    byKid;
    signKey;
    /**
     * Tokens that passed verification, with their expiry. jose verifies through WebCrypto on
     * libuv's thread pool, which argon2 fills during a login burst; a client sends one access
     * token many times, so only its first use needs the pool. Only the exact token string that
     * verified is cached, and only until it expires; revocation is checked on every request
     * anyway (the family read).
     */
    verified = new Map();
    constructor(o) {
        this.o = o;
        this.ttl = o.ttl;
        this.byKid = new Map(o.keys.map((k) => [k.kid, k.verifyKey]));
        const signing = o.keys.find((k) => k.kid === o.signingKid)?.signKey;
        if (!signing)
            throw new TypeError("JoseAccessTokens: the signing key has no private part");
        this.signKey = signing;
    }
    async sign(claims, now) {
        const iat = Math.floor(now / 1000);
        return new SignJWT(claims.auth_time === undefined ? { sid: claims.sid } : { sid: claims.sid, auth_time: claims.auth_time })
            .setProtectedHeader({ alg: this.o.algorithm, kid: this.o.signingKid, typ: ACCESS_TYP })
            .setSubject(claims.sub)
            .setJti(randomBytes(16).toString("base64url"))
            .setIssuedAt(iat)
            .setExpirationTime(iat + this.ttl)
            .setIssuer(this.o.issuer)
            .setAudience(this.o.audience)
            .sign(this.signKey);
    }
    async verify(token, now) {
        const cached = this.verified.get(token);
        if (cached) {
            this.verified.delete(token);
            if (cached.exp * 1000 <= now)
                return null;
            this.verified.set(token, cached);
            return { sub: cached.sub, sid: cached.sid, jti: cached.jti };
        }
        try {
            const { payload } = await jwtVerify(token, (header) => this.key(header), {
                algorithms: [this.o.algorithm],
                issuer: this.o.issuer,
                audience: this.o.audience,
                typ: ACCESS_TYP,
                currentDate: new Date(now),
                requiredClaims: ["exp", "iat", "sub", "jti", "sid"],
            });
            if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || typeof payload.jti !== "string")
                return null;
            // We never issue a longer-lived token, nor one dated ahead: such a token was not made by sign().
            if (payload.exp - payload.iat > this.ttl || payload.iat > Math.floor(now / 1000) + CLOCK_SKEW)
                return null;
            const claims = { sub: payload.sub, sid: payload.sid, jti: payload.jti };
            this.verified.set(token, { ...claims, exp: payload.exp });
            if (this.verified.size > CACHE_SIZE)
                this.verified.delete(this.verified.keys().next().value);
            return claims;
        }
        catch {
            return null;
        }
    }
    key(header) {
        const key = typeof header.kid === "string" ? this.byKid.get(header.kid) : undefined;
        if (!key)
            throw new Error("unknown kid");
        return key;
    }
    async jwks() {
        if (this.o.algorithm === "HS256")
            return null;
        const keys = await Promise.all(this.o.keys.map(async (k) => ({ ...(await exportJWK(k.verifyKey)), kid: k.kid, alg: this.o.algorithm, use: "sig" })));
        return { keys };
    }
}
