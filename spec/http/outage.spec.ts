import { expect } from "chai";
import request from "supertest";
import { Redis } from "ioredis";
import { OwnRedis, FAIL_FAST } from "../helpers/redis.js";
import { makeApp, register, login, PASSWORD, sessionCookie, type TestApp } from "../helpers/app.js";

/** A token of the right shape, so the store is asked. */
const TOKEN = `someUserId.${"A".repeat(43)}`;

/** Every endpoint, with a signed-in cookie and its CSRF token where that matters. */
function endpoints(cookie: string, csrf: string) {
  return [
    { name: "POST /register", send: (app: TestApp["app"]) => request(app).post("/auth/register").send({ email: `n${Math.random()}@example.com`, password: PASSWORD }) },
    { name: "POST /login", send: (app: TestApp["app"]) => request(app).post("/auth/login").send({ email: "who@example.com", password: PASSWORD }) },
    { name: "GET /me", send: (app: TestApp["app"]) => request(app).get("/auth/me").set("Cookie", cookie) },
    { name: "GET /csrf", send: (app: TestApp["app"]) => request(app).get("/auth/csrf").set("Cookie", cookie) },
    { name: "POST /logout", send: (app: TestApp["app"]) => request(app).post("/auth/logout").set("Cookie", cookie).set("X-CSRF-Token", csrf) },
    { name: "POST /refresh", send: (app: TestApp["app"]) => request(app).post("/auth/refresh").set("Cookie", cookie).set("X-CSRF-Token", csrf) },
    { name: "requireUser GET /api/profile", send: (app: TestApp["app"]) => request(app).get("/api/profile").set("Cookie", cookie) },
    { name: "requireUser POST /api/profile", send: (app: TestApp["app"]) => request(app).post("/api/profile").set("Cookie", cookie).set("X-CSRF-Token", csrf) },
    { name: "POST /request-verify-email", send: (app: TestApp["app"]) => request(app).post("/auth/request-verify-email").set("Cookie", cookie).set("X-CSRF-Token", csrf) },
    { name: "GET /verify-email", send: (app: TestApp["app"]) => request(app).get(`/auth/verify-email?token=${TOKEN}`) },
    { name: "POST /verify-email", send: (app: TestApp["app"]) => request(app).post("/auth/verify-email").send({ token: TOKEN }) },
    { name: "POST /forgot-password", send: (app: TestApp["app"]) => request(app).post("/auth/forgot-password").send({ email: "who@example.com" }) },
    { name: "POST /forgot-password/validate", send: (app: TestApp["app"]) => request(app).post("/auth/forgot-password/validate").send({ token: TOKEN }) },
    { name: "POST /reset-password", send: (app: TestApp["app"]) => request(app).post("/auth/reset-password").send({ token: TOKEN, password: "a new pass phrase" }) },
    { name: "POST /account/change-password", send: (app: TestApp["app"]) => request(app).post("/auth/account/change-password").set("Cookie", cookie).set("X-CSRF-Token", csrf).send({ currentPassword: PASSWORD, newPassword: "a new pass phrase" }) },
    { name: "POST /account/change-email", send: (app: TestApp["app"]) => request(app).post("/auth/account/change-email").set("Cookie", cookie).set("X-CSRF-Token", csrf).send({ newEmail: "new@example.com", password: PASSWORD }) },
    { name: "GET /account/confirm-email-change", send: (app: TestApp["app"]) => request(app).get(`/auth/account/confirm-email-change?token=${TOKEN}`) },
    { name: "POST /account/confirm-email-change", send: (app: TestApp["app"]) => request(app).post("/auth/account/confirm-email-change").send({ token: TOKEN }) },
    { name: "DELETE /account", send: (app: TestApp["app"]) => request(app).delete("/auth/account").set("Cookie", cookie).set("X-CSRF-Token", csrf).send({ password: PASSWORD }) },
    { name: "GET /sessions", send: (app: TestApp["app"]) => request(app).get("/auth/sessions").set("Cookie", cookie) },
    { name: "DELETE /sessions/:id", send: (app: TestApp["app"]) => request(app).delete("/auth/sessions/abc").set("Cookie", cookie).set("X-CSRF-Token", csrf) },
    { name: "DELETE /sessions", send: (app: TestApp["app"]) => request(app).delete("/auth/sessions").set("Cookie", cookie).set("X-CSRF-Token", csrf) },
    { name: "optionalUser GET /api/maybe", send: (app: TestApp["app"]) => request(app).get("/api/maybe").set("Cookie", cookie) },
  ];
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("Redis outage (the test's own redis-server)", function () {
  this.timeout(60000);
  const server = new OwnRedis();
  let client: Redis;
  let t: TestApp;

  before(async () => {
    await server.start();
    client = new Redis(server.url, FAIL_FAST);
    client.on("error", () => {});
    t = await makeApp({ redis: client });
  });
  after(async () => {
    client.disconnect();
    await server.stop();
  });

  async function signedIn() {
    const { email } = await register(t.app, "who@example.com");
    const { csrfToken, res } = await login(t.app, email);
    return { cookie: sessionCookie(res)!, csrf: csrfToken };
  }

  async function expectAll503(cookie: string, csrf: string) {
    // All at once: each must answer within 2 s on its own.
    const answers = await Promise.all(
      endpoints(cookie, csrf).map(async (e) => {
        const started = Date.now();
        const res = await e.send(t.app);
        return { e, res, took: Date.now() - started };
      }),
    );
    for (const { e, res, took } of answers) {
      expect(res.status, e.name).to.equal(503);
      expect(res.body.code, e.name).to.equal("SERVICE_UNAVAILABLE");
      expect(res.headers["retry-after"], e.name).to.equal("1");
      expect(took, `${e.name} took ${took} ms`).to.be.below(2000);
    }
  }

  it("stopped (connections refused): every endpoint and requireUser answer 503 within 2 s, then recover", async () => {
    const { cookie, csrf } = await signedIn();
    await server.stop();
    await expectAll503(cookie, csrf);
    // Without credentials, requireUser needs no Redis: still a plain 401.
    expect((await request(t.app).get("/api/profile")).status).to.equal(401);
    await server.start();
    await until(async () => (await client.ping()) === "PONG", 10000);
    // The same process serves again (the server kept nothing, so register anew).
    const again = await signedIn();
    expect((await request(t.app).get("/api/profile").set("Cookie", again.cookie)).status).to.equal(200);
  });

  it("paused (a black hole): every endpoint answers 503 within 2 s, then recovers", async () => {
    await client.flushall();
    const { cookie, csrf } = await signedIn();
    // CLIENT PAUSE cannot be lifted early (UNPAUSE is paused too): pause for a fixed time.
    await server.pause(4000);
    await expectAll503(cookie, csrf);
    await until(async () => (await client.ping()) === "PONG", 10000);
    // Commands sent during the pause ran when it lifted (logout, refresh): sign in again.
    const again = await login(t.app, "who@example.com");
    expect((await again.agent.get("/api/profile")).status).to.equal(200);
  });
});
