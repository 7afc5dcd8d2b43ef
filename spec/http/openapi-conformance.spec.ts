import { expect } from "chai";
import * as fc from "fast-check";
import { Redis } from "ioredis";
import request, { type Response, type Test } from "supertest";
import { FAIL_FAST, freePort } from "../helpers/redis.js";
import { makeApp, register, PASSWORD, sessionCookie, type TestApp } from "../helpers/app.js";
import { MODES, type Mode } from "../helpers/client.js";

type Schema = Record<string, unknown>;
interface Operation {
  method: "get" | "post" | "delete";
  path: string;
  parameters?: { name: string; in: "path" | "query"; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
  security: object[];
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const FORM = "application/x-www-form-urlencoded";
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** Values a schema allows (bodies drawn from the document itself). */
function arbitrary(schema: Schema, doc: Doc, depth = 0): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === "string") return arbitrary(doc.components.schemas[schema.$ref.split("/").pop()!]!, doc, depth);
  const variants = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (variants) return fc.oneof(...variants.map((v) => arbitrary(v, doc, depth)));
  if ("const" in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case "null":
          return fc.constant(null);
        case "boolean":
          return fc.boolean();
        case "integer":
          return fc.integer();
        case "string": {
          const minLength = (schema.minLength as number | undefined) ?? 0;
          const maxLength = Math.min((schema.maxLength as number | undefined) ?? 64, 300);
          if (schema.format === "email") return fc.emailAddress().filter((e) => e.length <= maxLength);
          return fc.string({ unit: "grapheme", minLength, maxLength: Math.max(minLength, Math.min(maxLength, minLength + 40)) });
        }
        case "object": {
          const properties = (schema.properties ?? {}) as Record<string, Schema>;
          const required = new Set((schema.required ?? []) as string[]);
          const keys = Object.keys(properties);
          if (depth > 2 || keys.length === 0) return fc.constant({});
          return fc.record(Object.fromEntries(keys.map((k) => [k, arbitrary(properties[k]!, doc, depth + 1)])), { requiredKeys: keys.filter((k) => required.has(k)) });
        }
        default:
          return fc.jsonValue({ maxDepth: 2 });
      }
    }),
  );
}

/** A body drawn from the schema, or (a fuzzer's job is the edge) that body with one field dropped or replaced by any JSON value. */
function bodyArbitrary(schema: Schema, doc: Doc): fc.Arbitrary<Record<string, unknown>> {
  const valid = arbitrary(schema, doc).map((v) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {}));
  const broken = fc.tuple(valid, fc.nat(), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined })).map(([body, i, junk]) => {
    const keys = Object.keys(body);
    if (!keys.length) return body;
    const key = keys[i % keys.length]!;
    const copy = { ...body };
    if (junk === undefined) delete copy[key];
    else copy[key] = junk;
    return copy;
  });
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: broken });
}

/** A form body (flat: objects and arrays as their JSON text, as a careless client would send them). */
function asForm(body: Record<string, unknown>): string {
  return new URLSearchParams(Object.entries(body).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])).toString();
}

/** A fresh sign-in: the headers a signed-in client sends (cookie and CSRF token, or the bearer token). */
async function credential(t: TestApp, mode: Mode, email: string): Promise<Record<string, string>> {
  const res = await request(t.app).post("/auth/login").send({ email, password: PASSWORD });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  if (mode === "jwt") return { Authorization: `Bearer ${res.body.access_token}` };
  return { Cookie: sessionCookie(res)!, "X-CSRF-Token": res.body.csrfToken };
}

interface Shot {
  op: Operation;
  path: string;
  query?: string;
  body?: { type: string; raw: string };
  headers?: Record<string, string>;
}

function send(app: TestApp["app"], shot: Shot): Test {
  let q = request(app)[shot.op.method](`/auth${shot.path}${shot.query ?? ""}`);
  for (const [k, v] of Object.entries(shot.headers ?? {})) q = q.set(k, v);
  if (shot.body) q = q.set("Content-Type", shot.body.type).send(shot.body.raw);
  return q;
}

/** What is wrong with an answer, measured against the document (nothing: []). */
function undocumented(op: Operation, res: Response): string[] {
  const documented = op.responses[String(res.status)];
  if (!documented) return [`${res.status} is not documented (documented: ${Object.keys(op.responses).join(", ")}): ${res.text.slice(0, 200)}`];
  const type = String(res.headers["content-type"] ?? "").split(";")[0]!;
  if (documented.content && res.status !== 204 && !(type in documented.content)) return [`${res.status} answered ${type}, documented ${Object.keys(documented.content).join(", ")}`];
  const code = (res.body as { code?: unknown } | undefined)?.code;
  if (res.status >= 400 && typeof code === "string" && !documented.description.includes(code)) return [`${res.status} ${code} is not among the codes listed: ${documented.description}`];
  return [];
}

const EMPTY_JSON = { type: "application/json", raw: "{}" };

for (const mode of MODES) {
  describe(`[${mode}] the OpenAPI document against the router`, function () {
    this.timeout(120000);
    let t: TestApp;
    let doc: Doc;
    let email: string;
    const ops: Operation[] = [];
    const seen = new Map<string, Set<number>>();
    let requests = 0;
    const key = (op: Operation) => `${op.method.toUpperCase()} ${op.path}`;
    const record = (op: Operation, res: Response, problems: string[], label: string) => {
      requests++;
      if (!seen.has(key(op))) seen.set(key(op), new Set());
      seen.get(key(op))!.add(res.status);
      problems.push(...undocumented(op, res).map((p) => `${key(op)} [${label}]: ${p}`));
    };

    before(async () => {
      t = await makeApp({ mode });
      ({ email } = await register(t.app));
      doc = (await request(t.app).get("/auth/openapi.json")).body as Doc;
      for (const [path, byMethod] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(byMethod)) ops.push({ ...op, method: method as Operation["method"], path });
    });
    after(() => {
      const pairs = [...seen.values()].reduce((n, s) => n + s.size, 0);
      console.log(`[${mode}] OpenAPI conformance: ${ops.length} operations, ${requests} requests, ${pairs} distinct (operation, status) pairs, all documented`);
      if (process.env.FUZZ_VERBOSE) for (const [op, s] of seen) console.log(`  ${op}: ${[...s].sort().join(" ")}`);
    });

    it("each listed status a request can provoke is provoked and answered as listed (parser, guard, CSRF, 404, 503)", async () => {
      const problems: string[] = [];
      let provoked = 0;
      const provoke = async (op: Operation, status: number, shot: Shot, label: string, app = t.app) => {
        if (!op.responses[String(status)]) {
          // Only statuses the document lists are provoked; the rest must not happen at all.
          if (status === 503 || (status === 401 && op.security.length)) problems.push(`${key(op)}: ${status} is not listed`);
          return;
        }
        provoked++;
        const res = await send(app, shot);
        record(op, res, problems, label);
        if (res.status !== status) problems.push(`${key(op)} [${label}]: expected ${status}, got ${res.status} ${res.text.slice(0, 200)}`);
      };
      // An app whose Redis is gone, with the same secret: a credential of the live app makes it read the store.
      const gone = new Redis({ ...FAIL_FAST, port: await freePort(), lazyConnect: true });
      gone.on("error", () => {});
      const down = await makeApp({ mode, redis: gone });
      for (const op of ops) {
        const path = op.path.replace(/\{[^}]+\}/g, "abc");
        const query = op.parameters?.some((p) => p.in === "query") ? "?token=abc" : "";
        const body = op.requestBody ? EMPTY_JSON : undefined;
        // Always signed in: then even anonymous routes load the credential (and so read the store).
        const cred = () => credential(t, mode, email);
        if (op.requestBody) {
          await provoke(op, 400, { op, path, query, body: { type: "application/json", raw: "{" }, headers: await cred() }, "unparseable JSON");
          await provoke(op, 413, { op, path, query, body: { type: "application/json", raw: JSON.stringify({ pad: "x".repeat(20_000) }) }, headers: await cred() }, "a body over the limit");
          await provoke(op, 415, { op, path, query, body: { type: "text/plain", raw: "x" }, headers: await cred() }, "text/plain");
          if (Object.values(op.requestBody.content).some((c) => JSON.stringify(c.schema).includes('"required":["'))) {
            await provoke(op, op.path === "/token" || op.path === "/revoke" ? 400 : 422, { op, path, query, body, headers: await cred() }, "required fields missing");
          }
        }
        if (op.security.length) await provoke(op, 401, { op, path, query, body }, "no credential");
        if (mode === "session" && op.method !== "get") {
          await provoke(op, 403, { op, path, query, body, headers: { Origin: "http://evil.test" } }, "a foreign Origin");
          // The pre-sign-in CSRF cookie (from GET /csrf) without its token. The emailed links' POSTs
          // need no CSRF token (their page's plain form cannot send one; the token proves intent).
          const anon = sessionCookie(await request(t.app).get("/auth/csrf"), "gh.sid.csrf")!;
          if (!["/verify-email", "/account/confirm-email-change"].includes(op.path)) await provoke(op, 403, { op, path, query, body, headers: { Cookie: anon } }, "a cookie without its CSRF token");
          if (!op.responses["403"]) problems.push(`${key(op)}: 403 CSRF_INVALID is not listed`);
        } else if (JSON.stringify(op.responses["403"] ?? "").includes("CSRF_INVALID")) {
          problems.push(`${key(op)}: lists CSRF_INVALID, which ${mode === "jwt" ? "JWT mode" : "a GET"} never answers`);
        }
        if (op.path === "/sessions/{id}") await provoke(op, 404, { op, path, headers: await cred() }, "another handle");
        await provoke(op, 503, { op, path, query, body, headers: await cred() }, "Redis down", down.app);
      }
      console.log(`[${mode}] provoked ${provoked} listed statuses`);
      expect(problems, problems.join("\n")).to.deep.equal([]);
    });

    /** fast-check: requests with bodies drawn from the document's own schemas, to `app`; any unlisted answer fails. */
    async function fuzz(app: TestApp["app"], runs: number, signIn: () => Promise<Record<string, string>>, label: string): Promise<string[]> {
      const problems: string[] = [];
      const shot = fc.constantFrom(...ops).chain((op) => {
        const content = op.requestBody?.content ?? {};
        const types = Object.keys(content);
        return fc.record({
          op: fc.constant(op),
          signedIn: fc.boolean(),
          type: types.length ? fc.constantFrom(...types) : fc.constant(undefined),
          body: types.length ? bodyArbitrary(content[types[0]!]!.schema, doc) : fc.constant(undefined),
          params: fc.array(fc.string({ maxLength: 40 }), { minLength: 2, maxLength: 2 }),
        });
      });
      await fc
        .assert(
          fc.asyncProperty(shot, async ({ op, signedIn, type, body, params }) => {
            const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(params[0]!) || "x");
            const query = op.parameters?.some((p) => p.in === "query") ? `?token=${encodeURIComponent(params[1]!)}` : "";
            const headers = signedIn ? await signIn() : {};
            const raw = body === undefined ? undefined : type === FORM ? { type, raw: asForm(body) } : { type: type!, raw: JSON.stringify(body) };
            const found: string[] = [];
            record(op, await send(app, { op, path, query, body: raw, headers }), found, `${label} ${JSON.stringify(body)?.slice(0, 160)}`);
            problems.push(...found);
            return found.length === 0;
          }),
          { numRuns: runs, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
        )
        .catch((err: unknown) => problems.push(String(err).slice(0, 2000)));
      return problems;
    }

    it(`bodies drawn from the document's own schemas get only documented answers (fast-check, ${FUZZ_RUNS} runs)`, async () => {
      const problems = await fuzz(t.app, FUZZ_RUNS, () => credential(t, mode, email), "fuzz");
      expect(problems, problems.join("\n")).to.deep.equal([]);
    });

    it(`with every rate limit at one hit, the 429s the fuzzer runs into are listed too (${Math.ceil(FUZZ_RUNS / 2)} runs)`, async () => {
      const rules = ["loginAccountIp", "loginAccount", "loginIp", "forgotPasswordEmail", "forgotPasswordIp", "verifyEmailUser", "verifyEmailIp", "changeEmailUser", "changeEmailIp", "registerIp", "tokenIp"];
      const tight = await makeApp({ mode, rateLimits: Object.fromEntries(rules.map((r) => [r, { points: 1, duration: 600 }])) });
      const { email: own } = await register(tight.app);
      // One sign-in (a second one would be refused): the fuzzer may end it, and then answers 401.
      const held = await credential(tight, mode, own);
      const before = [...seen.values()].reduce((n, s) => n + (s.has(429) ? 1 : 0), 0);
      const problems = await fuzz(tight.app, Math.ceil(FUZZ_RUNS / 2), async () => held, "tight limits");
      const limited = [...seen.values()].reduce((n, s) => n + (s.has(429) ? 1 : 0), 0);
      console.log(`[${mode}] operations seen answering 429: ${limited} (${before} before the tight run)`);
      expect(problems, problems.join("\n")).to.deep.equal([]);
    });
  });
}
