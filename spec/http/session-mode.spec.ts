import { createHmac } from "node:crypto";
import { expect } from "chai";
import request from "supertest";
import { SessionCookies } from "../../lib/http/strategies/session.js";
import { makeApp, login, register, sessionCookie, sessionIdOf, sessionKeyOf, PASSWORD, ORIGIN, SECRET } from "../helpers/app.js";

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

declare module "express-session" {
  interface SessionData {
    views?: number;
  }
}

describe("[session] the app's own data in a signed-in session", () => {
  // A protected request reads the session without express-session and runs it only when a
  // handler touches req.session (lib/http/strategies/session.ts): these are the handlers that do.
  async function appWithViews(overrides: Parameters<typeof makeApp>[0] = {}) {
    const made = await makeApp(overrides);
    const { app, auth } = made;
    app.get("/api/views", auth.requireUser, (req, res) => {
      req.session.views = (req.session.views ?? 0) + 1;
      res.json({ views: req.session.views, sessionId: req.session.id, same: req.sessionID === req.session.id });
    });
    app.get("/api/peek", auth.requireUser, (req, res) => res.json({ views: req.session.views ?? null }));
    app.get("/api/replace", auth.requireUser, (req, res, next) => req.session.regenerate((err) => (err ? next(err) : res.json({ sessionId: req.sessionID }))));
    return made;
  }

  it("is read and saved by the app's handlers, and kept across requests and a touch", async () => {
    const { app, clock } = await appWithViews({ session: { touchAfter: 60 } });
    const { email } = await register(app);
    const { agent, res } = await login(app, email);
    const id = sessionIdOf(sessionCookie(res)!);
    expect((await agent.get("/api/peek")).body).to.deep.equal({ views: null });
    const first = await agent.get("/api/views");
    expect(first.body).to.deep.equal({ views: 1, sessionId: id, same: true });
    expect(first.headers["set-cookie"], "the same session: no new cookie").to.equal(undefined);
    expect((await agent.get("/api/views")).body.views).to.equal(2);
    clock.advance(61);
    // Due for its touch: express-session runs at once and saves the renewed session with the app's data.
    expect((await agent.get("/api/peek")).body.views).to.equal(2);
    expect((await agent.get("/api/views")).body.views).to.equal(3);
    expect((await agent.get("/auth/me")).status).to.equal(200);
  });

  it("req.session.regenerate of the app ends the signed-in session (a new, anonymous one)", async () => {
    const { app } = await appWithViews();
    const { email } = await register(app);
    const { agent, res } = await login(app, email);
    const cookie = sessionCookie(res)!;
    const replaced = await agent.get("/api/replace");
    expect(replaced.status).to.equal(200);
    expect(replaced.body.sessionId).to.not.equal(sessionIdOf(cookie));
    expect((await request(app).get("/auth/me").set("Cookie", cookie)).status).to.equal(401);
  });

  it("a protected request that does not touch req.session stores nothing and sets no cookie", async () => {
    const { app, redis, prefix } = await makeApp();
    const { email } = await register(app);
    const { agent, res } = await login(app, email);
    const key = sessionKeyOf(prefix, sessionCookie(res)!);
    const before = await redis.get(key);
    const answer = await agent.get("/api/profile");
    expect(answer.status).to.equal(200);
    expect(answer.headers["set-cookie"]).to.equal(undefined);
    expect(await redis.get(key)).to.equal(before);
  });
});

describe("[session] reading the session cookie", () => {
  it("takes the first cookie of the name, quoted or not, percent-encoded or not, signed by any of the secrets; nothing else", async () => {
    const OLD = "the-old-secret-that-is-long-enough-0123456789";
    const { app } = await makeApp({ secret: [SECRET, OLD] });
    const { email } = await register(app);
    const { res } = await login(app, email);
    const cookie = sessionCookie(res)!;
    const value = cookie.slice("gh.sid=".length);
    const id = sessionIdOf(cookie);
    const signed = (secret: string) => `s:${id}.${createHmac("sha256", secret).update(id).digest("base64").replace(/=+$/, "")}`;
    const read = (header: string, secrets = [SECRET]) => new SessionCookies("gh.sid", secrets).sessionId(header);
    expect(read(`gh.sid=${value}`)).to.equal(id);
    expect(read(`a=1; gh.sid="${value}"; b=2`)).to.equal(id);
    expect(read(`gh.sid=${signed(SECRET)}`), "not percent-encoded").to.equal(id);
    expect(read(`gh.sid=${signed(OLD)}`, [SECRET, OLD]), "an older secret").to.equal(id);
    expect(read(`gh.sid=${signed(OLD)}`), "a removed secret").to.equal(undefined);
    expect(read(`gh.sid=${value.slice(0, -1)}x`), "a changed signature").to.equal(undefined);
    expect(read(`gh.sid=${encodeURIComponent(id)}`), "unsigned").to.equal(undefined);
    expect(read(`gh.sid=%E0%A4%A`), "bad percent-encoding").to.equal(undefined);
    expect(read(`gh.sid=s%3Ax.y; gh.sid=${value}`), "the first of two").to.equal(undefined);
    expect(read(`xgh.sid=${value}`)).to.equal(undefined);
    // A value that verified once is known after: the same answer, and a changed one is still checked.
    const cookies = new SessionCookies("gh.sid", [SECRET]);
    expect([cookies.sessionId(`gh.sid=${value}`), cookies.sessionId(`gh.sid=${value}`), cookies.sessionId(`gh.sid=${value}x`)]).to.deep.equal([id, id, undefined]);
    // What express-session makes of the same headers: the app answers the same.
    for (const [header, status] of [[`a=1; gh.sid="${value}"`, 200], [`gh.sid=${signed(SECRET)}`, 200], [`gh.sid=s%3Ax.y; gh.sid=${value}`, 401], [`gh.sid=${value.slice(0, -1)}x`, 401]] as const) {
      expect((await request(app).get("/api/profile").set("Cookie", header)).status, header).to.equal(status);
    }
  });
});
