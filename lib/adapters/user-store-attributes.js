import { randomBytes } from "node:crypto";
/**
 * The attribute rules every shipped user store applies, in one place: attributes are a plain
 * object of JSON values; a top-level `null` means "no such key" (so a patch can remove one);
 * what a store keeps and hands out is always a deep copy.
 */
/** A deep copy of `input` (a `NewUser`'s attributes) with top-level nulls dropped; `{}` for undefined. */
export function initialAttributes(input) {
    if (input === undefined)
        return {};
    return mergeAttributes({}, input);
}
/**
 * `current` with `patch` merged in key by key: a value sets its key, `null` removes it. Returns a
 * new object; neither argument is changed. A `TypeError` for anything that would not survive JSON.
 */
export function mergeAttributes(current, patch) {
    const merged = copyAttributes(current);
    if (patch === undefined)
        return merged;
    if (!isPlainObject(patch))
        throw new TypeError("user attributes must be a plain object of JSON values");
    for (const [key, value] of Object.entries(patch)) {
        if (value === null)
            delete merged[key];
        else
            setKey(merged, key, copyJson(value, key));
    }
    return merged;
}
/** A deep copy of stored attributes. */
export function copyAttributes(attributes) {
    const copy = {};
    for (const [key, value] of Object.entries(attributes))
        setKey(copy, key, copyJson(value, key));
    return copy;
}
/** Attributes as a store writes them into a text column or a hash field. */
export function encodeAttributes(attributes) {
    return JSON.stringify(attributes);
}
/**
 * Attributes read back from storage: `{}` for a missing value (records written before
 * attributes existed), an `Error` for text that is not a JSON object (a corrupt record must not
 * be mistaken for a user without attributes).
 */
export function decodeAttributes(text, owner) {
    if (text === null || text === undefined || text === "")
        return {};
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        throw new Error(`the attributes of user ${owner} are not JSON`);
    }
    if (!isPlainObject(parsed))
        throw new Error(`the attributes of user ${owner} are not a JSON object`);
    return parsed;
}
function copyJson(value, path) {
    if (value === null || typeof value === "string" || typeof value === "boolean")
        return value;
    if (typeof value === "number") {
        if (!Number.isFinite(value))
            throw new TypeError(`user attribute ${path} is not a finite number`);
        return value;
    }
    if (Array.isArray(value))
        return value.map((item, i) => copyJson(item, `${path}[${i}]`));
    if (isPlainObject(value)) {
        const copy = {};
        for (const [key, item] of Object.entries(value))
            setKey(copy, key, copyJson(item, `${path}.${key}`));
        return copy;
    }
    throw new TypeError(`user attribute ${path} is not a JSON value`);
}
/** Sets an own property, even one named `__proto__` (a JSON key like any other, never a prototype). */
function setKey(target, key, value) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
function isPlainObject(value) {
    if (typeof value !== "object" || value === null || Array.isArray(value))
        return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
}
/** The record a store creates for `user`: a fresh random id, `updatedAt` = `createdAt`, attributes copied. */
export function newUserRecord(user) {
    return {
        id: randomBytes(16).toString("base64url"),
        email: user.email,
        name: user.name,
        emailVerified: user.emailVerified,
        passwordHash: user.passwordHash,
        createdAt: user.createdAt,
        updatedAt: user.createdAt,
        attributes: initialAttributes(user.attributes),
    };
}
