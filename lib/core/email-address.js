/** The longest address we accept (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;
/**
 * Characters that show nothing but change the string: zero-width (U+200B..U+200D, U+2060,
 * U+FEFF), bidi controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), the soft
 * hyphen (U+00AD), the Mongolian vowel separator and the invisible math operators. In an address
 * they make a second account that reads like the first.
 */
export const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;
/**
 * The one normalization of emails, used on every lookup and store: trimmed, NFC, lower-cased,
 * NFC again. Lower-casing can undo NFC ("T" + U+0308 lower-cases to "t" + U+0308, which NFC
 * composes to "ẗ"), so the result is normalized again until nothing changes: the stored form is
 * NFC and normalizing it again changes nothing (login finds what register stored).
 * Mail always goes to the stored (normalized) address, never to what a request typed, so a
 * Unicode case-mapping collision cannot redirect a reset link.
 */
export function normalizeEmail(raw) {
    let s = raw.trim().normalize("NFC");
    // Converges in one or two rounds for any input; the bound only guards against surprises.
    for (let i = 0; i < 4; i++) {
        const next = s.toLowerCase().normalize("NFC").trim();
        if (next === s)
            break;
        s = next;
    }
    return s;
}
