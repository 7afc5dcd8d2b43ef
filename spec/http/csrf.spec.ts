import { expect } from "chai";
import request from "supertest";
import { makeApp, login, register, PASSWORD, ORIGIN } from "../helpers/app.js";

describe("CSRF (session mode)", () => {
  it("needs the token on unsafe requests that ride on a session cookie (missing or wrong: 403)", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { agent, csrfToken } = await login(app, email);
    for (const token of [undefined, "", "wrong", csrfToken.slice(0, -1), `${csrfToken}x`]) {
      const req = agent.post("/auth/refresh");
      const res = token === undefined ? await req : await req.set("X-CSRF-Token", token);
      expect(res.status, String(token)).to.equal(403);
      expect(res.body.code).to.equal("CSRF_INVALID");
    }
    expect((await agent.post("/auth/logout")).status).to.equal(403);
    expect((await agent.get("/auth/me")).status, "still signed in").to.equal(200);
    expect((await agent.post("/auth/logout").set("X-CSRF-Token", csrfToken)).status).to.equal(204);
  });

  it("GET /csrf hands out the session's token", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { agent, csrfToken } = await login(app, email);
    const res = await agent.get("/auth/csrf");
    expect(res.status).to.equal(200);
    expect(res.body.csrfToken).to.equal(csrfToken);
  });

  it("refuses browser requests from another origin on every unsafe endpoint, login included", async () => {
    const { app } = await makeApp({ http: { trustedOrigins: ["http://admin.app.test"] } });
    const { email } = await register(app);
    for (const origin of ["http://evil.test", "null", "http://app.test.evil.test", "https://app.test", "http://app.test:8080"]) {
      const res = await request(app).post("/auth/login").set("Origin", origin).send({ email, password: PASSWORD });
      expect(res.status, origin).to.equal(403);
      expect(res.body.code).to.equal("CSRF_INVALID");
      expect((await request(app).post("/auth/register").set("Origin", origin).send({ email: "x@example.com", password: PASSWORD })).status).to.equal(403);
    }
    const crossSite = await request(app).post("/auth/login").set("Sec-Fetch-Site", "cross-site").send({ email, password: PASSWORD });
    expect(crossSite.status).to.equal(403);
    expect((await request(app).post("/auth/login").set("Origin", ORIGIN).send({ email, password: PASSWORD })).status).to.equal(200);
    expect((await request(app).post("/auth/login").set("Origin", "http://admin.app.test").send({ email, password: PASSWORD })).status).to.equal(200);
  });

  it("lets requests without a session cookie and without Origin through (curl, server-to-server)", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    expect((await request(app).post("/auth/login").send({ email, password: PASSWORD })).status).to.equal(200);
  });

  it("the pre-sign-in token of GET /csrf is needed for login once its cookie is set; a dead session cookie does not block login", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const agent = request.agent(app);
    const { body } = await agent.get("/auth/csrf");
    expect((await agent.post("/auth/login").send({ email, password: PASSWORD })).status).to.equal(403);
    expect((await agent.post("/auth/login").set("X-CSRF-Token", body.csrfToken).send({ email, password: PASSWORD })).status).to.equal(200);
    const stale = await request(app).post("/auth/login").set("Cookie", "gh.sid=s%3Agone.signature").send({ email, password: PASSWORD });
    expect(stale.status).to.equal(200);
  });
});
