import { AuthError, isAuthError } from "../errors.js";
/**
 * Wraps a port the app plugged in (its own user store, token store, session index or hasher) so
 * that any failure of it is an outage: a rejection, a throw or a call that has not settled
 * within `timeoutMs` becomes `SERVICE_UNAVAILABLE` (503, the cause logged once by the error
 * handler), never a 500 and never a wrong answer. An `AuthError` the port raises on purpose
 * passes as it is.
 */
export function failClosed(port, name, timeoutMs) {
    const unavailable = (method, cause) => isAuthError(cause) ? cause : new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1, cause: new Error(`${name}.${method} failed`, { cause }) });
    return new Proxy(port, {
        get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver);
            if (typeof value !== "function")
                return value;
            const method = String(key);
            return (...args) => {
                let result;
                try {
                    result = value.apply(target, args);
                }
                catch (err) {
                    throw unavailable(method, err);
                }
                // Any thenable counts: a store may hand back its driver's own promise type.
                if (typeof result?.then !== "function")
                    return result;
                let timer;
                const deadline = new Promise((_, reject) => {
                    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
                });
                return Promise.race([Promise.resolve(result), deadline]).then((v) => {
                    clearTimeout(timer);
                    return v;
                }, (err) => {
                    clearTimeout(timer);
                    throw unavailable(method, err);
                });
            };
        },
    });
}
