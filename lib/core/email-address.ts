/** The longest address we accept (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;

/**
 * The one normalization of emails, used on every lookup and store: trimmed, NFC, lower-cased.
 * Mail always goes to the stored (normalized) address, never to what a request typed, so a
 * Unicode case-mapping collision cannot redirect a reset link.
 */
export function normalizeEmail(raw: string): string {
  return raw.trim().normalize("NFC").toLowerCase();
}
