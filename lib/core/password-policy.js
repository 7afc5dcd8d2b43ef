/** Length in Unicode code points, as NIST 800-63B counts it (an emoji is one character). */
function codePoints(s) {
    return [...s].length;
}
/**
 * The problems with a new password, empty when it is acceptable. No composition rules (NIST
 * 800-63B); length in code points; the common-password list compared case-insensitively. Every
 * rule applies to the NFKC form, exactly the string `Passwords` hashes: full-width
 * "ｐａｓｓｗｏｒｄ１２３" is "password123", and 8 code points of decomposed accents are 4.
 */
export function checkPassword(typed, policy, field = "password") {
    const password = typed.normalize("NFKC");
    const length = codePoints(password);
    if (length < policy.minLength) {
        return [{ field, code: "TOO_SHORT", message: `Use at least ${policy.minLength} characters.` }];
    }
    if (length > policy.maxLength) {
        return [{ field, code: "TOO_LONG", message: `Use at most ${policy.maxLength} characters.` }];
    }
    if (policy.common.has(password.toLowerCase())) {
        return [{ field, code: "PASSWORD_TOO_COMMON", message: "This password is too common. Choose another one." }];
    }
    return [];
}
