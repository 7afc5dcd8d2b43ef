import { createHmac, timingSafeEqual } from "node:crypto";
/** RFC 4648 base32 alphabet (what authenticator apps expect in `otpauth://` URIs). */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** RFC 6238 defaults every authenticator app supports: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** Base32 without padding, upper case. */
export function base32Encode(bytes) {
    let bits = 0;
    let value = 0;
    let out = "";
    for (const byte of bytes) {
        value = (value << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            out += ALPHABET[(value >>> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out += ALPHABET[(value << (5 - bits)) & 31];
    return out;
}
/** Decodes base32 (case, spaces and padding ignored); throws on other characters. */
export function base32Decode(text) {
    const clean = text.toUpperCase().replace(/[\s=]/g, "");
    let bits = 0;
    let value = 0;
    const out = [];
    for (const ch of clean) {
        const idx = ALPHABET.indexOf(ch);
        if (idx < 0)
            throw new TypeError("not base32");
        value = (value << 5) | idx;
        bits += 5;
        if (bits >= 8) {
            out.push((value >>> (bits - 8)) & 255);
            bits -= 8;
        }
    }
    return Buffer.from(out);
}
/** RFC 4226 HOTP of `counter` (dynamic truncation), `digits` long. */
export function hotp(key, counter, digits = TOTP_DIGITS, algorithm = "sha1") {
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(counter));
    const mac = createHmac(algorithm, key).update(msg).digest();
    const offset = mac[mac.length - 1] & 0x0f;
    const code = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
    return String(code % 10 ** digits).padStart(digits, "0");
}
/** The RFC 6238 time step of `now` (ms). */
export function timeStep(now, period = TOTP_PERIOD) {
    return Math.floor(now / 1000 / period);
}
/**
 * The time step among `now`'s and its neighbours (±`window` steps, for clock drift) whose code
 * is `code`, or null. Every candidate is compared, in constant time, so the answer's timing does
 * not tell which step matched.
 */
export function matchingStep(key, code, now, window = 1) {
    if (!/^\d{6}$/.test(code))
        return null;
    const current = timeStep(now);
    let found = null;
    for (let step = current - window; step <= current + window; step++) {
        if (timingSafeEqual(Buffer.from(hotp(key, step)), Buffer.from(code)) && found === null)
            found = step;
    }
    return found;
}
/** The `otpauth://totp/...` URI an authenticator app reads from the QR code (Key Uri Format). */
export function otpauthUri(secretBase32, issuer, account) {
    const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
    const params = new URLSearchParams({ secret: secretBase32, issuer, algorithm: "SHA1", digits: String(TOTP_DIGITS), period: String(TOTP_PERIOD) });
    return `otpauth://totp/${label}?${params.toString()}`;
}
