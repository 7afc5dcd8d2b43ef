import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
/**
 * Encrypts small secrets at rest (TOTP secrets) with AES-256-GCM under a key derived from each
 * configured `secret` and a purpose label (HMAC-SHA256), never the secret itself. Rotation
 * follows the secret array: the first key seals, every key opens. A sealed value names its key
 * (`v1.<kid>.<iv>.<tag>.<ciphertext>`), so opening needs one attempt.
 */
export class SecretBox {
    keys;
    constructor(secrets, purpose) {
        if (secrets.length === 0)
            throw new TypeError("SecretBox needs at least one secret");
        this.keys = secrets.map((s) => {
            const key = createHmac("sha256", s).update(`gatehouse/${purpose}`).digest();
            return { kid: createHmac("sha256", key).update("kid").digest("base64url").slice(0, 8), key };
        });
    }
    seal(plain, context) {
        const { kid, key } = this.keys[0];
        const iv = randomBytes(12);
        const cipher = createCipheriv("aes-256-gcm", key, iv);
        // The context (the user id) is authenticated: a sealed value copied to another user does not open.
        cipher.setAAD(Buffer.from(context));
        const body = Buffer.concat([cipher.update(plain), cipher.final()]);
        return ["v1", kid, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
    }
    /** The plaintext, or null when no configured key opens it (a removed secret, tampering, another context). */
    open(sealed, context) {
        const parts = sealed.split(".");
        if (parts.length !== 5 || parts[0] !== "v1")
            return null;
        const [, kid, iv, tag, body] = parts;
        const candidates = [...this.keys.filter((k) => k.kid === kid), ...this.keys.filter((k) => k.kid !== kid)];
        for (const { key } of candidates) {
            try {
                const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
                decipher.setAAD(Buffer.from(context));
                decipher.setAuthTag(Buffer.from(tag, "base64url"));
                return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
            }
            catch {
                // Not this key: try the next one.
            }
        }
        return null;
    }
}
