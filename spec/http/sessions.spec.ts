import { expect } from "chai";
import request from "supertest";
import { makeApp, login, register, sessionCookie } from "../helpers/app.js";

describe("session management", () => {
  it("GET /sessions lists the user's live sessions with opaque handles, metadata and `current`", async () => {
    const t = await makeApp();
    const { email } = await register(t.app);
    const a = await login(t.app, email);
    t.clock.advance(5);
    const b = request.agent(t.app);
    const rb = await b.post("/auth/login").set("User-Agent", "Browser B").send({ email, password: "correct horse battery staple" });
    expect(rb.status).to.equal(200);
    const res = await a.agent.get("/auth/sessions");
    expect(res.status).to.equal(200);
    const list = res.body.sessions as { id: string; createdAt: string; lastSeenAt: string; ip: string; userAgent: string | null; current: boolean }[];
    expect(list).to.have.length(2);
    for (const s of list) expect(s).to.have.keys(["id", "createdAt", "lastSeenAt", "ip", "userAgent", "current"]);
    expect(list.filter((s) => s.current)).to.have.length(1);
    expect(list[0]!.userAgent, "newest first").to.equal("Browser B");
    expect(list[0]!.current).to.equal(false);
    const sidA = decodeURIComponent(sessionCookie(a.res)!.split("=")[1]!).slice(2).split(".")[0]!;
    expect(JSON.stringify(res.body)).to.not.contain(sidA);
    expect(list[0]!.ip).to.match(/127\.0\.0\.1/);
  });

  it("DELETE /sessions/:id ends that session; another user's handle is 404", async () => {
    const t = await makeApp();
    const { email } = await register(t.app);
    const a = await login(t.app, email);
    const b = await login(t.app, email);
    const other = await login(t.app, (await register(t.app)).email);
    const otherHandle = (await other.agent.get("/auth/sessions")).body.sessions[0].id;
    const mine = (await a.agent.get("/auth/sessions")).body.sessions as { id: string; current: boolean }[];
    const bHandle = mine.find((s) => !s.current)!.id;
    const foreign = await a.agent.delete(`/auth/sessions/${otherHandle}`).set("X-CSRF-Token", a.csrfToken);
    expect(foreign.status).to.equal(404);
    expect(foreign.body.code).to.equal("NOT_FOUND");
    expect((await other.agent.get("/auth/me")).status, "the other user's session is untouched").to.equal(200);
    expect((await a.agent.delete(`/auth/sessions/${bHandle}`)).status, "needs CSRF").to.equal(403);
    expect((await a.agent.delete(`/auth/sessions/${bHandle}`).set("X-CSRF-Token", a.csrfToken)).status).to.equal(204);
    expect((await b.agent.get("/auth/me")).status).to.equal(401);
    expect((await a.agent.get("/auth/me")).status).to.equal(200);
    expect((await a.agent.get("/auth/sessions")).body.sessions).to.have.length(1);
  });

  it("DELETE /sessions ends every session but the current one", async () => {
    const t = await makeApp();
    const { email } = await register(t.app);
    const a = await login(t.app, email);
    const others = await Promise.all([login(t.app, email), login(t.app, email), login(t.app, email)]);
    expect((await a.agent.delete("/auth/sessions").set("X-CSRF-Token", a.csrfToken)).status).to.equal(204);
    for (const o of others) expect((await o.agent.get("/api/profile")).status).to.equal(401);
    expect((await a.agent.get("/api/profile")).status).to.equal(200);
    expect((await a.agent.get("/auth/sessions")).body.sessions).to.have.length(1);
  });

  it("expired sessions never appear, and the index does not keep them", async () => {
    const t = await makeApp({ session: { idleTimeout: 600, absoluteTimeout: 3600 } });
    const { email, user } = await register(t.app);
    const old = await login(t.app, email);
    t.clock.advance(601); // `old` is idle-expired now
    const fresh = await login(t.app, email);
    const list = (await fresh.agent.get("/auth/sessions")).body.sessions;
    expect(list).to.have.length(1);
    expect(list[0].current).to.equal(true);
    expect((await old.agent.get("/auth/me")).status).to.equal(401);
    t.clock.advance(3601); // past every absolute deadline: a new sign-in trims the index
    await login(t.app, email);
    expect(await t.redis.zcard(`${t.prefix}{u:${user.id}}:sessions`)).to.equal(1);
  });

  it("needs a session (401)", async () => {
    const t = await makeApp();
    expect((await request(t.app).get("/auth/sessions")).status).to.equal(401);
    expect((await request(t.app).delete("/auth/sessions")).status).to.equal(401);
    expect((await request(t.app).delete("/auth/sessions/abc")).status).to.equal(401);
  });
});
