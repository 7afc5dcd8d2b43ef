import { expect } from "chai";
import request from "supertest";
import { makeApp, register, PASSWORD } from "../helpers/app.js";
import { MODES, signIn } from "../helpers/client.js";

for (const mode of MODES) {
  describe(`[${mode}] smaller findings`, () => {
    it("requireUser and optionalUser answers for a user get Cache-Control: private, no-store unless the route set its own", async () => {
      const t = await makeApp({ mode });
      t.app.get("/api/cached", t.auth.requireUser, (_req, res) => res.set("Cache-Control", "private, max-age=60").json({ ok: true }));
      const { email } = await register(t.app);
      const c = await signIn(t.app, mode, email);
      expect((await c.get("/api/profile")).headers["cache-control"]).to.equal("private, no-store");
      expect((await c.get("/api/maybe")).headers["cache-control"]).to.equal("private, no-store");
      expect((await c.get("/api/cached")).headers["cache-control"]).to.equal("private, max-age=60");
      expect((await request(t.app).get("/api/maybe")).headers["cache-control"], "anonymous: the app decides").to.equal(undefined);
    });

    it("an https appUrl behind a TLS-terminating proxy without trust proxy: one clear warning on the first such request", async () => {
      const warnings: string[] = [];
      const t = await makeApp({ mode, appUrl: "https://app.test", logger: { warn: (m: string) => void warnings.push(m), error: () => {} } });
      const email = `proxy.${mode}@example.com`;
      const before = warnings.length;
      expect((await request(t.app).post("/auth/register").set("X-Forwarded-Proto", "https").send({ email, password: PASSWORD })).status).to.equal(201);
      const res = await request(t.app).post("/auth/login").set("X-Forwarded-Proto", "https").set("Origin", "https://app.test").send({ email, password: PASSWORD });
      await request(t.app).post("/auth/login").set("X-Forwarded-Proto", "https").set("Origin", "https://app.test").send({ email, password: PASSWORD });
      expect(res.status).to.equal(200);
      const said = warnings.slice(before).filter((w) => /trust proxy/.test(w));
      if (mode === "session") {
        expect(said, warnings.join("\n")).to.have.length(1);
        expect(said[0]).to.contain('app.set("trust proxy", 1)');
        expect(said[0]).to.contain("X-Forwarded-Proto: https");
      } else {
        expect(said, "JWT mode sets no cookies").to.have.length(0);
      }
    });

    it("with trust proxy set, no warning and the Secure cookie is set", async () => {
      const warnings: string[] = [];
      const t = await makeApp({ mode, appUrl: "https://app.test", logger: { warn: (m: string) => void warnings.push(m), error: () => {} } }, (app) => app.set("trust proxy", 1));
      const email = `proxied.${mode}@example.com`;
      expect((await request(t.app).post("/auth/register").set("X-Forwarded-Proto", "https").send({ email, password: PASSWORD })).status).to.equal(201);
      const res = await request(t.app).post("/auth/login").set("X-Forwarded-Proto", "https").set("Origin", "https://app.test").send({ email, password: PASSWORD });
      expect(res.status).to.equal(200);
      expect(warnings.filter((w) => /trust proxy/.test(w))).to.have.length(0);
      if (mode === "session") expect(String(res.headers["set-cookie"])).to.match(/__Host-gh\.sid=.*Secure/);
    });
  });
}
