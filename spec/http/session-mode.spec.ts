import { expect } from "chai";
import request from "supertest";
import { makeApp, login, register, sessionCookie, sessionKeyOf, PASSWORD, ORIGIN } from "../helpers/app.js";

// Behaviour that only session mode has: the cookie, its id, CSRF on the app's own routes,
// timeouts. What both modes share is in accounts.spec.ts.

describe("[session] POST /login", () => {
  it("changes the session id: a cookie from before sign-in is dead after (no fixation)", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    // GET /csrf stores no session: the cookie from before this sign-in is an earlier sign-in's.
    const { agent, res: first, csrfToken } = await login(app, email);
    const before = sessionCookie(first);
    expect(before).to.be.a("string");
    const res = await agent.post("/auth/login").set("X-CSRF-Token", csrfToken).send({ email, password: PASSWORD });
    expect(res.status).to.equal(200);
    const after = sessionCookie(res);
    expect(after).to.be.a("string").and.not.equal(before);
    expect(res.body.csrfToken).to.not.equal(csrfToken);
    expect((await request(app).get("/auth/me").set("Cookie", before!)).status).to.equal(401);
    expect((await request(app).get("/auth/me").set("Cookie", after!)).status).to.equal(200);
  });
});

describe("[session] session cookie", () => {
  it("is HttpOnly, SameSite=Lax, Path=/, not Secure on an http appUrl, without Max-Age", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { res } = await login(app, email);
    const cookie = ([] as string[]).concat(res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("gh.sid="))!;
    expect(cookie).to.match(/; Path=\//);
    expect(cookie).to.match(/; HttpOnly/);
    expect(cookie).to.match(/; SameSite=Lax/);
    expect(cookie).to.not.match(/Secure/);
    expect(cookie).to.not.match(/Max-Age|Expires/);
  });

  it("is Secure and __Host- prefixed when appUrl is https (behind a trusted proxy)", async () => {
    const { app } = await makeApp({ appUrl: "https://app.test" }, (a) => a.set("trust proxy", "loopback"));
    const { email } = await register(app);
    const res = await request(app).post("/auth/login").set("X-Forwarded-Proto", "https").send({ email, password: PASSWORD });
    expect(res.status).to.equal(200);
    const cookie = ([] as string[]).concat(res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("__Host-gh.sid="))!;
    expect(cookie).to.match(/; Secure/);
    expect(cookie).to.match(/; HttpOnly/);
    expect(cookie).to.not.match(/Domain=/);
  });
});

describe("[session] secret rotation", () => {
  it("a cookie signed with the old secret still works once a new secret is put first; not after the old one is removed", async () => {
    const OLD = "the-old-secret-that-is-long-enough-0123456789";
    const NEW = "the-new-secret-that-is-long-enough-9876543210";
    const before = await makeApp({ secret: OLD });
    const { email } = await register(before.app);
    const { res } = await login(before.app, email);
    const cookie = sessionCookie(res)!;
    const same = { redis: before.redis, storage: { keyPrefix: before.prefix }, now: before.clock.now };
    const rotated = await makeApp({ ...same, secret: [NEW, OLD] });
    expect((await request(rotated.app).get("/auth/me").set("Cookie", cookie)).status).to.equal(200);
    const fresh = await request(rotated.app).post("/auth/login").send({ email, password: PASSWORD });
    const retired = await makeApp({ ...same, secret: NEW });
    expect((await request(retired.app).get("/auth/me").set("Cookie", cookie)).status, "old signature refused").to.equal(401);
    expect((await request(retired.app).get("/auth/me").set("Cookie", sessionCookie(fresh)!)).status, "signed with the new secret").to.equal(200);
  });
});

describe("[session] POST /logout", () => {
  it("is not undone by a slow request that ends after it (no session resurrection)", async () => {
    const { app, auth, clock } = await makeApp();
    let reached!: () => void;
    const inHandler = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    app.get("/api/slow", auth.requireUser, async (_req, res) => {
      reached();
      await gate;
      res.json({ ok: true });
    });
    const { email } = await register(app);
    const { agent, csrfToken, res } = await login(app, email);
    const cookie = sessionCookie(res)!;
    clock.advance(61); // the slow request will touch (re-save) the session
    const slow = agent.get("/api/slow").then((r) => r);
    await inHandler;
    expect((await agent.post("/auth/logout").set("X-CSRF-Token", csrfToken)).status).to.equal(204);
    release();
    expect((await slow).status).to.equal(200);
    expect((await request(app).get("/auth/me").set("Cookie", cookie)).status).to.equal(401);
  });
});

describe("[session] POST /refresh", () => {
  it("moves the session to a new id, kills the old one, and answers {user, csrfToken}", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { agent, csrfToken, res } = await login(app, email);
    const old = sessionCookie(res)!;
    const r = await agent.post("/auth/refresh").set("X-CSRF-Token", csrfToken);
    expect(r.status).to.equal(200);
    expect(r.body.user.email).to.equal(email);
    expect(r.body.csrfToken).to.be.a("string").and.not.equal(csrfToken);
    const fresh = sessionCookie(r)!;
    expect(fresh).to.not.equal(old);
    expect((await request(app).get("/auth/me").set("Cookie", old)).status).to.equal(401);
    expect((await request(app).get("/auth/me").set("Cookie", fresh)).status).to.equal(200);
    // the old CSRF token died with the old session
    expect((await agent.post("/auth/refresh").set("X-CSRF-Token", csrfToken)).status).to.equal(403);
  });
});

describe("[session] timeouts (injected clock)", () => {
  it("signs out after the idle timeout, not before", async () => {
    const { app, clock } = await makeApp({ session: { idleTimeout: 600, touchAfter: 60 } });
    const { email } = await register(app);
    const { agent } = await login(app, email);
    clock.advance(590);
    expect((await agent.get("/auth/me")).status).to.equal(200);
    clock.advance(590); // activity at 590 s pushed the idle deadline forward
    expect((await agent.get("/auth/me")).status).to.equal(200);
    clock.advance(601);
    expect((await agent.get("/auth/me")).status).to.equal(401);
  });

  it("signs out after the absolute timeout however active, and refresh does not extend it", async () => {
    const { app, clock } = await makeApp({ session: { idleTimeout: 600, absoluteTimeout: 3600 } });
    const { email } = await register(app);
    const { agent } = await login(app, email);
    for (let t = 0; t < 3500; t += 500) {
      clock.advance(500);
      const { body } = await agent.get("/auth/csrf");
      const refreshed = await agent.post("/auth/refresh").set("X-CSRF-Token", body.csrfToken);
      expect(refreshed.status).to.equal(200);
    }
    clock.advance(200);
    expect((await agent.get("/auth/me")).status).to.equal(401);
  });

  it("writes the session at most once per touchAfter (a protected request is a single GET)", async () => {
    const { app, clock, redis, prefix } = await makeApp({ session: { touchAfter: 60 } });
    const { email } = await register(app);
    const { agent, res } = await login(app, email);
    const key = sessionKeyOf(prefix, sessionCookie(res)!);
    const ttl0 = await redis.ttl(key);
    await redis.expire(key, 100); // mark: a touch would reset it
    clock.advance(30);
    expect((await agent.get("/api/profile")).status).to.equal(200);
    expect(await redis.ttl(key)).to.be.at.most(100);
    clock.advance(31);
    expect((await agent.get("/api/profile")).status).to.equal(200);
    expect(await redis.ttl(key)).to.be.greaterThan(100).and.at.most(ttl0);
  });
});

describe("[session] requireUser", () => {
  it("unsafe methods on the app's own routes need the CSRF token and a same-site origin", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { agent, csrfToken } = await login(app, email);
    expect((await agent.post("/api/profile")).status).to.equal(403);
    expect((await agent.post("/api/profile").set("X-CSRF-Token", csrfToken)).status).to.equal(200);
    expect((await agent.post("/api/profile").set("X-CSRF-Token", csrfToken).set("Origin", "http://evil.test")).status).to.equal(403);
    expect((await agent.post("/api/profile").set("X-CSRF-Token", csrfToken).set("Origin", ORIGIN)).status).to.equal(200);
  });
});
