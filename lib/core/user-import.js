import { MAX_EMAIL_LENGTH, normalizeEmail } from "./email-address.js";
/**
 * Writes users exported from another system into a {@link UserStore}, keeping their password
 * hashes, so that they sign in with the password they had, without a reset: the router verifies
 * the old hash (configure its hasher in `hashing.legacy`) and replaces it with an argon2id hash at
 * the first successful sign-in.
 *
 * Emails go through the library's own normalization, so an imported user is found exactly as one
 * who registered. Records are written one by one through `store.create`, so an interrupted import
 * can simply be run again: users already there are reported as duplicates, never overwritten. A
 * store failure rejects (nothing after it is attempted).
 *
 * @example
 * ```ts
 * const report = await importUsers(store, rows.map((r) => ({
 *   email: r.email, name: r.name, emailVerified: r.email_verified, passwordHash: r.password,
 * })), { hashers: [betterAuthScrypt(), new BcryptHasher()] });
 * console.log(report.created, report.duplicates, report.invalid);
 * ```
 */
export async function importUsers(store, records, options) {
    const { hashers, now = Date.now } = options;
    if (!Array.isArray(hashers) || hashers.length === 0) {
        throw new TypeError("importUsers: options.hashers must list the hashers that recognize the imported hashes");
    }
    const report = { created: 0, duplicates: 0, invalid: 0, results: [] };
    let index = 0;
    for (const record of records) {
        const outcome = await importOne(store, record, index++, hashers, now);
        report.results.push(outcome);
        if (outcome.status === "created")
            report.created++;
        else if (outcome.status === "duplicate")
            report.duplicates++;
        else
            report.invalid++;
    }
    return report;
}
async function importOne(store, record, index, hashers, now) {
    const invalid = (reason) => ({ index, status: "invalid", reason });
    if (typeof record !== "object" || record === null)
        return invalid("not an object");
    if (typeof record.email !== "string")
        return invalid("email is not a string");
    const email = normalizeEmail(record.email);
    const problem = emailProblem(email);
    if (problem)
        return invalid(problem);
    if (typeof record.passwordHash !== "string" || record.passwordHash === "")
        return invalid("passwordHash is missing");
    if (!hashers.some((h) => h.recognizes(record.passwordHash)))
        return invalid("no configured hasher recognizes the password hash format");
    const name = record.name ?? null;
    if (name !== null && typeof name !== "string")
        return invalid("name is not a string");
    const createdAt = record.createdAt ?? now();
    if (!Number.isFinite(createdAt))
        return invalid("createdAt is not a number of milliseconds");
    let created;
    try {
        created = await store.create({
            email,
            name: name === null || name.trim() === "" ? null : name,
            passwordHash: record.passwordHash,
            emailVerified: record.emailVerified === true,
            createdAt,
            attributes: record.attributes,
        });
    }
    catch (err) {
        // Bad attributes are the record's fault; a store failure stops the import.
        if (err instanceof TypeError)
            return invalid(err.message);
        throw err;
    }
    return created ? { index, status: "created", id: created.id, email } : { index, status: "duplicate", email };
}
/** Why a normalized email cannot be a user's, or undefined. The router's input rules, in short. */
function emailProblem(email) {
    if (email === "" || email.length > MAX_EMAIL_LENGTH)
        return `email must have 1 to ${MAX_EMAIL_LENGTH} characters`;
    if (!email.isWellFormed())
        return "email is not valid Unicode";
    // Controls, whitespace and invisible format characters (zero-width, bidi, soft hyphen).
    if (/[\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}]/u.test(email))
        return "email holds whitespace, control or invisible characters";
    const at = email.lastIndexOf("@");
    if (at < 1 || email.indexOf("@") !== at)
        return "email must be a single address";
    const domain = email.slice(at + 1);
    if (!/^[^.].*\.[^.]+$/.test(domain) || domain.includes(".."))
        return "email has no valid domain";
    return undefined;
}
