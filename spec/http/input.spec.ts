import { expect } from "chai";
import request from "supertest";
import { express } from "../helpers/express.js";
import { makeApp as makeAnyApp, register, PASSWORD } from "../helpers/app.js";
import { MODES } from "../helpers/client.js";

for (const mode of MODES) {
  // Bodies are parsed the same way in both modes.
  const makeApp: typeof makeAnyApp = (overrides = {}, setup) => makeAnyApp({ mode, ...overrides }, setup);

  describe(`[${mode}] request bodies`, () => {
    it("malformed JSON is 400 INVALID_JSON", async () => {
      const { app } = await makeApp();
      for (const raw of ['{"email": "a@example.com",', "{'email': 1}", '"just a string"', "nul"]) {
        const res = await request(app).post("/auth/login").set("Content-Type", "application/json").send(raw);
        expect(res.status, raw).to.equal(400);
        expect(res.body.code).to.equal("INVALID_JSON");
        expect(JSON.stringify(res.body)).to.not.match(/at |Error|stack/);
      }
    });

    it("a body over the limit is 413 PAYLOAD_TOO_LARGE", async () => {
      const { app } = await makeApp();
      const res = await request(app).post("/auth/register").send({ email: "a@example.com", password: PASSWORD, name: "x".repeat(20000) });
      expect(res.status).to.equal(413);
      expect(res.body.code).to.equal("PAYLOAD_TOO_LARGE");
      const big = await request(app).post("/auth/register").send({ email: "a@example.com", password: "x".repeat(1_000_000) });
      expect(big.status).to.equal(413);
    });

    it("a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE", async () => {
      const { app } = await makeApp();
      const cases: [string, string][] = [
        ["text/plain", '{"email":"a@example.com","password":"x"}'],
        ["application/x-www-form-urlencoded", "email=a%40example.com&password=x"],
        ["multipart/form-data; boundary=x", "--x--"],
      ];
      for (const [type, raw] of cases) {
        const res = await request(app).post("/auth/login").set("Content-Type", type).send(raw);
        expect(res.status, type).to.equal(415);
        expect(res.body.code).to.equal("UNSUPPORTED_MEDIA_TYPE");
      }
    });

    it("an empty body is 422 with the missing fields", async () => {
      const { app } = await makeApp();
      const res = await request(app).post("/auth/login");
      expect(res.status).to.equal(422);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).to.deep.equal(["email", "password"]);
    });

    it("prototype-pollution keys are inert", async () => {
      const { app } = await makeApp();
      const raw = `{"email":"proto@example.com","password":"${PASSWORD}","__proto__":{"emailVerified":true,"polluted":1},"constructor":{"prototype":{"polluted":1}}}`;
      const res = await request(app).post("/auth/register").set("Content-Type", "application/json").send(raw);
      expect(res.status).to.equal(201);
      expect(res.body.user.emailVerified).to.equal(false);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it("works when the app already mounted express.json()", async () => {
      const { app } = await makeApp({}, (a) => a.use(express.json()));
      const { email } = await register(app);
      expect((await request(app).post("/auth/login").send({ email, password: PASSWORD })).status).to.equal(200);
    });

    it("unknown routes and wrong methods under the mount point are 404 NOT_FOUND, never 500", async () => {
      const { app } = await makeApp();
      for (const [method, path] of [["get", "/auth/nope"], ["get", "/auth/login"], ["put", "/auth/register"], ["delete", "/auth/me"]] as const) {
        const res = await request(app)[method](path);
        expect(res.status, `${method} ${path}`).to.equal(404);
        expect(res.body.code).to.equal("NOT_FOUND");
        expect(res.headers["cache-control"]).to.equal("no-store");
      }
    });
  });
}
