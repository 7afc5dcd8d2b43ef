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
    expect(doc.paths["/account/change-password"].post.responses["403"].description).to.contain("REAUTH_REQUIRED").and.contain("MFA_ENROLLMENT_REQUIRED");
    expect(doc.paths["/mfa/totp/enable"].post.responses["403"].description, "open to a restricted sign-in").to.not.contain("MFA_ENROLLMENT_REQUIRED");
    expect(doc.paths["/mfa/totp/setup"].post.responses["200"].content["application/json"].schema).to.deep.equal({ $ref: "#/components/schemas/TotpSetup" });
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
