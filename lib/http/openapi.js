import { ERROR_CODES } from "../errors.js";
import { oauthStatus } from "./oauth.js";
const user = {
    type: "object",
    required: ["id", "email", "name", "emailVerified", "createdAt", "updatedAt"],
    properties: {
        id: { type: "string" },
        email: { type: "string", format: "email" },
        name: { type: ["string", "null"] },
        emailVerified: { type: "boolean" },
        createdAt: { type: "string", format: "date-time" },
        updatedAt: { type: "string", format: "date-time" },
    },
    additionalProperties: true,
};
const pair = {
    access_token: { type: "string", description: "A JWT; send it as `Authorization: Bearer <token>`." },
    refresh_token: { type: "string", description: "Opaque; send it to POST /refresh once." },
    token_type: { type: "string", const: "bearer" },
    expires_in: { type: "integer", description: "Seconds until the access token expires." },
};
const ref = (name) => ({ $ref: `#/components/schemas/${name}` });
/** The answer shapes, referenced by the route definitions. */
const SHAPES = {
    UserAnswer: { type: "object", required: ["user"], properties: { user: ref("User") } },
    SessionLogin: { type: "object", required: ["user", "csrfToken"], properties: { user: ref("User"), csrfToken: { type: "string" } } },
    JwtLogin: {
        type: "object",
        required: ["user", ...Object.keys(pair)],
        properties: { user: ref("User"), ...pair, device_token: { type: "string", description: "This client's device credential: send it back in the next login's body." } },
    },
    TokenPair: { type: "object", required: Object.keys(pair), properties: pair },
    CsrfToken: { type: "object", required: ["csrfToken"], properties: { csrfToken: { type: "string" } } },
    Valid: { type: "object", required: ["valid"], properties: { valid: { type: "boolean", const: true } } },
    Sessions: {
        type: "object",
        required: ["sessions"],
        properties: {
            sessions: {
                type: "array",
                items: {
                    type: "object",
                    required: ["id", "createdAt", "lastSeenAt", "ip", "userAgent", "current"],
                    properties: {
                        id: { type: "string", description: "An opaque handle for DELETE /sessions/{id}." },
                        createdAt: { type: "string", format: "date-time" },
                        lastSeenAt: { type: "string", format: "date-time" },
                        ip: { type: ["string", "null"] },
                        userAgent: { type: ["string", "null"] },
                        current: { type: "boolean" },
                    },
                },
            },
        },
    },
    Jwks: { type: "object", required: ["keys"], properties: { keys: { type: "array", items: { type: "object" } } } },
    MfaChallenge: {
        type: "object",
        description: "The password was right and a second factor is on: nothing is signed in yet. Send `mfaToken` and a code to POST /mfa/verify within 5 minutes, from the same client.",
        required: ["mfaRequired", "mfaToken", "methods"],
        properties: {
            mfaRequired: { type: "boolean", const: true },
            mfaToken: { type: "string", description: "Single use, bound to this client (IP and user agent)." },
            methods: { type: "array", items: { type: "string", enum: ["totp", "recovery"] } },
        },
    },
    MfaStatus: {
        type: "object",
        required: ["enabled", "methods", "recoveryCodesLeft", "required"],
        properties: {
            enabled: { type: "boolean" },
            methods: { type: "array", items: { type: "string", enum: ["totp", "recovery"] } },
            recoveryCodesLeft: { type: "integer", minimum: 0 },
            required: { type: "boolean", description: "The policy (`mfa.required`) asks this user for a second factor." },
        },
    },
    TotpSetup: {
        type: "object",
        required: ["secret", "otpauthUrl", "qrCode"],
        properties: {
            secret: { type: "string", description: "The TOTP secret, base32 (for typing into an app)." },
            otpauthUrl: { type: "string", description: "`otpauth://totp/...` (SHA-1, 6 digits, 30 s)." },
            qrCode: { type: "string", description: "The URI as a QR code: an SVG `data:` URL, made on the server without any network call." },
        },
    },
    RecoveryCodes: {
        type: "object",
        required: ["recoveryCodes"],
        properties: { recoveryCodes: { type: "array", minItems: 10, maxItems: 10, items: { type: "string" }, description: "Shown this once; each works once." } },
    },
    OpenApi: {
        type: "object",
        required: ["openapi", "info", "paths"],
        properties: { openapi: { type: "string", const: "3.1.0" }, info: { type: "object" }, servers: { type: "array" }, paths: { type: "object" }, components: { type: "object" } },
    },
};
const PROBLEM = {
    type: "object",
    required: ["type", "status", "code", "title"],
    properties: {
        type: { type: "string" },
        status: { type: "integer" },
        code: { type: "string", enum: Object.keys(ERROR_CODES), description: "Branch on this, never on `title`." },
        title: { type: "string" },
        errors: {
            type: "array",
            items: {
                type: "object",
                required: ["field", "code", "message"],
                properties: { field: { type: "string" }, code: { type: "string" }, message: { type: "string" } },
            },
        },
    },
};
/** The errors of the OAuth endpoints (RFC 6749 §5.2): the problem fields and `error`, `error_description`. */
const OAUTH_PROBLEM = {
    type: "object",
    required: [...PROBLEM.required, "error", "error_description"],
    properties: {
        ...PROBLEM.properties,
        error: { type: "string", enum: ["invalid_request", "invalid_grant", "unsupported_grant_type", "temporarily_unavailable", "server_error"] },
        error_description: { type: "string" },
    },
};
/**
 * The OpenAPI 3.1 document of a router, built from the route definitions the router registered
 * (so it cannot list a route that does not exist, or miss one that does).
 */
export function openApiDocument(routes, opts, serverUrl) {
    const jwt = opts.mode === "jwt";
    const paths = {};
    for (const def of routes) {
        const path = def.path.replace(/:([A-Za-z]+)/g, "{$1}");
        const parameters = [
            ...[...def.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } })),
            ...(def.query ?? []).map((q) => ({ name: q.name, in: "query", required: true, description: q.description, schema: { type: "string", maxLength: 256 } })),
        ];
        const responses = {};
        const answers = [def.success, ...(def.alternatives ?? [])];
        for (const status of new Set(answers.map((a) => a.status))) {
            // Several answers of one status (a sign-in, or its pending second step): one of their shapes.
            const same = answers.filter((a) => a.status === status);
            const shapes = same.flatMap((a) => (a.shape ? [ref(a.shape)] : []));
            const description = same.map((a) => a.description).filter(Boolean).join(" Or: ");
            const html = same.some((a) => a.html) ? { "text/html": { schema: { type: "string" } } } : {};
            const json = shapes.length ? { "application/json": { schema: shapes.length === 1 ? shapes[0] : { oneOf: shapes } } } : {};
            responses[String(status)] = shapes.length || same.some((a) => a.html) ? { description, content: { ...json, ...html } } : { description };
        }
        const byStatus = new Map();
        // Every code the route's middleware chain and handler can answer (route-table.ts collects them).
        for (const code of def.raises) {
            const status = def.oauth ? oauthStatus(code) : ERROR_CODES[code].status;
            byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
        }
        // An emailed link answers a browser (its GET, its page's form post) with HTML pages, failures included.
        const page = def.success.html ? { "text/html": { schema: { type: "string" } } } : {};
        const problem = def.oauth ? { "application/json": { schema: ref("OAuthProblem") } } : { "application/problem+json": { schema: ref("Problem") }, ...page };
        for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
            responses[String(status)] = { description: `\`${codes.join("`, `")}\``, content: problem };
        }
        const bodySchema = def.bodySchema ??
            (def.body && {
                type: "object",
                required: def.body.filter((f) => f.required).map((f) => f.name),
                properties: Object.fromEntries(def.body.map((f) => [f.name, f.schema])),
            });
        const requestBody = def.body && {
            required: def.body.some((f) => f.required),
            content: {
                "application/json": { schema: bodySchema },
                ...(def.form ? { "application/x-www-form-urlencoded": { schema: bodySchema } } : {}),
            },
        };
        const security = def.auth ? (jwt ? [{ bearer: [] }] : [{ session: [], csrf: [] }]) : [];
        paths[path] ??= {};
        paths[path][def.method] = {
            operationId: `${def.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c) => (c ? c.toUpperCase() : ""))}`,
            summary: def.summary,
            ...(def.description ? { description: def.description } : {}),
            ...(parameters.length ? { parameters } : {}),
            ...(requestBody ? { requestBody } : {}),
            responses,
            security,
        };
    }
    return {
        openapi: "3.1.0",
        info: {
            title: `${opts.mail.appName} authentication`,
            version: "1",
            description: `express-gatehouse, ${jwt ? "JWT" : "session"} mode. Every answer carries \`Cache-Control: no-store\`; every error is \`application/problem+json\`` +
                `${jwt ? " (on POST /token and /revoke: RFC 6749 §5.2 `application/json`)" : ""}. Bodies over ${opts.http.bodyLimit} bytes are refused (413).`,
        },
        servers: [{ url: serverUrl }],
        paths,
        components: {
            schemas: { User: user, Problem: PROBLEM, ...(jwt ? { OAuthProblem: OAUTH_PROBLEM } : {}), ...SHAPES },
            securitySchemes: jwt
                ? { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } }
                : {
                    session: { type: "apiKey", in: "cookie", name: opts.session.cookieName },
                    csrf: { type: "apiKey", in: "header", name: "X-CSRF-Token", description: "Needed on unsafe requests that carry the session cookie." },
                },
        },
    };
}
