import { createHmac } from "node:crypto";
/**
 * The HS256 key that signs and verifies access tokens for `secret`: HMAC-SHA256 of the fixed
 * label `gatehouse/jwt/hs256` under the secret, 32 bytes. A key per purpose, so the JWT key is
 * never the cookie secret itself, and a service that verifies tokens holds only this key, not
 * the secret (which also signs session cookies).
 *
 * Hand it to any HS256 verifier: `jose.jwtVerify(token, hs256VerificationKey(secret), {...})`,
 * or `passport-jwt`'s `secretOrKey: Buffer.from(hs256VerificationKey(secret))`. With a secret
 * array, the first secret signs; each one's key verifies.
 *
 * @param secret one `secret` of the router's options (at least 32 bytes).
 * @returns the 32-byte HMAC key.
 */
export function hs256VerificationKey(secret) {
    return new Uint8Array(createHmac("sha256", secret).update("gatehouse/jwt/hs256").digest());
}
