import { ERROR_CODES, type ErrorCode } from "../errors.js";
import type { ResolvedOptions } from "../options.js";
import type { RouteDef, Shape } from "./route-table.js";

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

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The answer shapes, referenced by the route definitions. */
const SHAPES: Record<Shape, object> = {
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

/** Every answer can also be these. */
const ALWAYS: ErrorCode[] = ["SERVICE_UNAVAILABLE"];

/**
 * The OpenAPI 3.1 document of a router, built from the route definitions the router registered
 * (so it cannot list a route that does not exist, or miss one that does).
 */
export function openApiDocument(routes: readonly RouteDef[], opts: ResolvedOptions, serverUrl: string): object {
  const jwt = opts.mode === "jwt";
  const paths: Record<string, Record<string, object>> = {};
  for (const def of routes) {
    const path = def.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const parameters = [
      ...[...def.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } })),
      ...(def.query ?? []).map((q) => ({ name: q.name, in: "query", required: true, description: q.description, schema: { type: "string", maxLength: 256 } })),
    ];
    const responses: Record<string, object> = {};
    for (const answer of [def.success, ...(def.alternatives ?? [])]) {
      const html = answer.html ? { "text/html": { schema: { type: "string" } } } : {};
      responses[String(answer.status)] = answer.shape
        ? { description: answer.description, content: { "application/json": { schema: ref(answer.shape) }, ...html } }
        : { description: answer.description, ...(answer.html ? { content: html } : {}) };
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of [...def.errors, ...ALWAYS, ...(def.body ? (["INVALID_JSON", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"] as ErrorCode[]) : [])]) {
      const status = ERROR_CODES[code].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[String(status)] = { description: `\`${codes.join("`, `")}\``, content: { "application/problem+json": { schema: ref("Problem") } } };
    }
    const bodySchema = def.body && {
      type: "object",
      required: def.body.filter((f) => f.required).map((f) => f.name),
      properties: Object.fromEntries(def.body.map((f) => [f.name, f.schema])),
    };
    const requestBody = def.body && {
      required: def.body.some((f) => f.required),
      content: {
        "application/json": { schema: bodySchema },
        ...(def.form ? { "application/x-www-form-urlencoded": { schema: bodySchema } } : {}),
      },
    };
    const security = def.auth ? (jwt ? [{ bearer: [] }] : [{ session: [], csrf: [] }]) : [];
    paths[path] ??= {};
    paths[path]![def.method] = {
      operationId: `${def.method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
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
      description: `Gatehouse, ${jwt ? "JWT" : "session"} mode. Every answer carries \`Cache-Control: no-store\`; every error is \`application/problem+json\`.`,
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas: { User: user, Problem: PROBLEM, ...SHAPES },
      securitySchemes: jwt
        ? { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } }
        : {
            session: { type: "apiKey", in: "cookie", name: opts.session.cookieName },
            csrf: { type: "apiKey", in: "header", name: "X-CSRF-Token", description: "Needed on unsafe requests that carry the session cookie." },
          },
    },
  };
}
