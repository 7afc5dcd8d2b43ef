import { expect } from "chai";
import request from "supertest";
import { Validator } from "@seriousme/openapi-schema-validator";
import { makeApp, APP_URL } from "../helpers/app.js";
import { MODES } from "../helpers/client.js";

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** The (method, path) pairs the router really serves, read from Express's own route table. */
function served(router: { stack: Layer[] }): string[] {
  return router.stack
    .filter((l) => l.route)
    .flatMap((l) => Object.keys(l.route!.methods).filter((m) => m !== "_all").map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:([A-Za-z]+)/g, "{$1}")}`))
    .sort();
}

describe("OpenAPI document", () => {
  for (const mode of MODES) {
    it(`[${mode}] validates as OpenAPI 3.1 and lists exactly the routes the router serves`, async () => {
      const t = await makeApp({ mode });
      const res = await request(t.app).get("/auth/openapi.json");
      expect(res.status).to.equal(200);
      const doc = res.body as { openapi: string; servers: { url: string }[]; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).to.equal("3.1.0");
      expect(doc.servers[0]!.url).to.equal(`${APP_URL}/auth`);
      const validator = new Validator();
      const result = await validator.validate(doc);
      expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
      const documented = Object.entries(doc.paths)
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
        .sort();
      expect(documented).to.deep.equal(served(t.auth as unknown as { stack: Layer[] }));
      expect(documented).to.include("POST /login");
      if (mode === "jwt") expect(documented).to.include("POST /token").and.not.include("GET /csrf");
      else expect(documented).to.include("GET /csrf").and.not.include("POST /token");
    });
  }

  it("documents each route's body fields and error codes", async () => {
    const t = await makeApp();
    const doc = (await request(t.app).get("/auth/openapi.json")).body;
    const register = doc.paths["/register"].post;
    expect(register.requestBody.content["application/json"].schema.required).to.deep.equal(["email", "password"]);
    expect(register.responses["400"].description).to.contain("EMAIL_ALREADY_REGISTERED");
    expect(register.responses["503"].description).to.contain("SERVICE_UNAVAILABLE");
    expect(doc.paths["/sessions/{id}"].delete.parameters[0]).to.include({ name: "id", in: "path" });
    // The second factor: the pending step beside the sign-in, the new operations, step-up and enrollment answers.
    expect(doc.paths["/login"].post.responses["200"].content["application/json"].schema.oneOf).to.deep.equal([
      { $ref: "#/components/schemas/SessionLogin" },
      { $ref: "#/components/schemas/MfaChallenge" },
    ]);
    for (const op of ["/mfa/totp/setup", "/mfa/totp/enable", "/mfa/totp/disable", "/mfa/recovery-codes", "/mfa/verify", "/reauth"]) expect(doc.paths[op], op).to.have.property("post");
    expect(doc.paths["/mfa/verify"].post.requestBody.content["application/json"].schema.required).to.deep.equal(["mfaToken", "code"]);
    expect(doc.paths["/mfa/verify"].post.responses["401"].description).to.contain("MFA_CHALLENGE_INVALID");
    expect(doc.paths["/account/change-password"].post.responses["403"].description).to.contain("REAUTH_REQUIRED");
    // MFA_ENROLLMENT_REQUIRED only where mfa.required can ask a user to enroll, and never on the enrollment routes.
    expect(doc.paths["/account/change-password"].post.responses["403"].description).to.not.contain("MFA_ENROLLMENT_REQUIRED");
    const enforced = (await request((await makeApp({ mfa: { required: true } })).app).get("/auth/openapi.json")).body;
    expect(enforced.paths["/account/change-password"].post.responses["403"].description).to.contain("MFA_ENROLLMENT_REQUIRED");
    expect(enforced.paths["/mfa/totp/enable"].post.responses["403"]?.description ?? "", "open to a restricted sign-in").to.not.contain("MFA_ENROLLMENT_REQUIRED");
    expect(doc.paths["/mfa/totp/setup"].post.responses["200"].content["application/json"].schema).to.deep.equal({ $ref: "#/components/schemas/TotpSetup" });
  });

  it("takes descriptions and bounds from the resolved options, and lists 429 only when rate limits are on", async () => {
    const t = await makeApp({ password: { minLength: 12, maxLength: 64 }, rateLimits: false });
    const doc = (await request(t.app).get("/auth/openapi.json")).body;
    for (const [path, field] of [["/register", "password"], ["/reset-password", "password"], ["/account/change-password", "newPassword"]] as const) {
      const schema = doc.paths[path].post.requestBody.content["application/json"].schema.properties[field];
      expect(schema, path).to.include({ minLength: 12, maxLength: 64 });
      expect(schema.description, path).to.contain("12 to 64");
    }
    expect(doc.paths["/login"].post.responses).not.to.have.property("429");
    const limited = (await request((await makeApp()).app).get("/auth/openapi.json")).body;
    expect(limited.paths["/login"].post.responses["429"].description).to.contain("TOO_MANY_REQUESTS");
    expect(limited.paths["/register"].post.requestBody.content["application/json"].schema.properties.password).to.include({ minLength: 8, maxLength: 128 });
  });

  it("lists 403 CSRF_INVALID on every unsafe session-mode operation and on none in JWT mode; describes /openapi.json itself", async () => {
    for (const mode of MODES) {
      const doc = (await request((await makeApp({ mode })).app).get("/auth/openapi.json")).body;
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { description: string }> }>>)) {
        for (const [method, op] of Object.entries(ops)) {
          const csrf = op.responses["403"]?.description.includes("CSRF_INVALID") ?? false;
          expect(csrf, `${mode} ${method} ${path}`).to.equal(mode === "session" && method !== "get");
        }
      }
      expect(doc.paths["/openapi.json"].get.responses["200"].content["application/json"].schema).to.deep.equal({ $ref: "#/components/schemas/OpenApi" });
      if (mode === "jwt") {
        const token = doc.paths["/token"].post;
        expect(Object.keys(token.responses).sort()).to.deep.equal(["200", "400", "413", "415", "503"].concat("429").sort());
        expect(token.responses["400"].content).to.have.key("application/json");
        expect(token.requestBody.content).to.have.keys(["application/json", "application/x-www-form-urlencoded"]);
        expect(doc.paths["/revoke"].post.responses["200"]).to.be.an("object");
      }
    }
  });

  it("is off with http.openapi: false (and by default when NODE_ENV=production)", async () => {
    const t = await makeApp({ http: { openapi: false } });
    expect((await request(t.app).get("/auth/openapi.json")).status).to.equal(404);
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      const p = await makeApp();
      expect((await request(p.app).get("/auth/openapi.json")).status).to.equal(404);
    } finally {
      process.env.NODE_ENV = before;
    }
  });
});
