import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { normalizeEmail } from "./email-address.js";
/** How long a device credential stays valid after the sign-in that issued it, seconds (180 days). */
export const DEVICE_CREDENTIAL_TTL = 180 * 24 * 60 * 60;
const SHAPE = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;
/**
 * OWASP's device cookies: a credential handed to a client at a successful sign-in, bound to the
 * account's normalized email, signed with the router's secret (the first signs, all verify). A
 * client that presents a valid one for the account it signs in to keeps its own attempt budget
 * and is not subject to the account's lock, so a stranger who knows only the email cannot lock
 * the owner out of a browser or device they signed in with before. Stateless: its `nonce` is the
 * key of its own attempt counter, which is how a credential that guesses wrong is locked alone.
 */
export class DeviceCredentials {
    secrets;
    now;
    ttl;
    constructor(secrets, now, ttl = DEVICE_CREDENTIAL_TTL) {
        this.secrets = secrets;
        this.now = now;
        this.ttl = ttl;
    }
    /** A new credential for the account of `email`: `<nonce>.<expires, s>.<mac>`. */
    issue(email) {
        const nonce = randomBytes(16).toString("base64url");
        const expires = Math.floor(this.now() / 1000) + this.ttl;
        return `${nonce}.${expires}.${this.mac(this.secrets[0], normalizeEmail(email), nonce, expires)}`;
    }
    /** The credential's counter key when it is valid for the account of `email` now, else undefined. */
    verify(credential, email) {
        if (typeof credential !== "string")
            return undefined;
        const m = SHAPE.exec(credential);
        if (!m)
            return undefined;
        const [, nonce, expiresText, mac] = m;
        const expires = Number(expiresText);
        if (expires * 1000 <= this.now())
            return undefined;
        const account = normalizeEmail(email);
        // Constant-time: the MAC must not be learnable byte by byte from response times.
        const good = this.secrets.some((secret) => sameString(this.mac(secret, account, nonce, expires), mac));
        return good ? nonce : undefined;
    }
    /** The cookie name of the account's credential (session mode): one cookie per account on a browser. */
    cookieName(email, secure) {
        const tag = createHmac("sha256", this.secrets[0]).update(`device-cookie:${normalizeEmail(email)}`).digest("base64url").slice(0, 12);
        return `${secure ? "__Host-" : ""}gh.dev.${tag}`;
    }
    mac(secret, account, nonce, expires) {
        return createHmac("sha256", secret).update(`gatehouse/device:${account}\n${nonce}\n${expires}`).digest("base64url");
    }
}
function sameString(a, b) {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
}
