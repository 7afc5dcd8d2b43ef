import { expect } from "chai";
import request, { type Test } from "supertest";
import { Redis } from "ioredis";
import { OwnRedis, FAIL_FAST, allKeys } from "../helpers/redis.js";
import { TEST_USERS } from "../helpers/sql-users.js";
import { makeApp, PASSWORD, type TestApp } from "../helpers/app.js";
import { MODES, signIn, type Client, type Mode } from "../helpers/client.js";

/** A token of the right shape, so the store is asked. */
const TOKEN = `someUserId.${"A".repeat(43)}`;

type Endpoint = { name: string; send: (app: TestApp["app"], c: Client) => Test };

/**
 * Every endpoint of the mode; the signed-in ones go through the client (session: its cookie and
 * CSRF token; jwt: its bearer token).
 */
function endpoints(mode: Mode): Endpoint[] {
  const list: Endpoint[] = [
    { name: "POST /register", send: (app) => request(app).post("/auth/register").send({ email: `n${Math.random()}@example.com`, password: PASSWORD }) },
    { name: "POST /login", send: (app) => request(app).post("/auth/login").send({ email: "who@example.com", password: PASSWORD }) },
    { name: "GET /me", send: (_app, c) => c.get("/auth/me") },
    { name: "POST /logout", send: (_app, c) => (mode === "jwt" ? c.post("/auth/logout").send({ refresh_token: c.refreshToken }) : c.post("/auth/logout")) },
    { name: "POST /refresh", send: (_app, c) => (mode === "jwt" ? c.post("/auth/refresh").send({ refresh_token: c.refreshToken }) : c.post("/auth/refresh")) },
    { name: "requireUser GET /api/profile", send: (_app, c) => c.get("/api/profile") },
    { name: "requireUser POST /api/profile", send: (_app, c) => c.post("/api/profile") },
    { name: "POST /request-verify-email", send: (_app, c) => c.post("/auth/request-verify-email") },
    { name: "GET /verify-email", send: (app) => request(app).get(`/auth/verify-email?token=${TOKEN}`).set("Accept", "application/json") },
    { name: "POST /verify-email", send: (app) => request(app).post("/auth/verify-email").send({ token: TOKEN }) },
    { name: "POST /forgot-password", send: (app) => request(app).post("/auth/forgot-password").send({ email: "who@example.com" }) },
    { name: "POST /forgot-password/validate", send: (app) => request(app).post("/auth/forgot-password/validate").send({ token: TOKEN }) },
    { name: "POST /reset-password", send: (app) => request(app).post("/auth/reset-password").send({ token: TOKEN, password: "a new pass phrase" }) },
    { name: "POST /account/change-password", send: (_app, c) => c.post("/auth/account/change-password").send({ currentPassword: PASSWORD, newPassword: "a new pass phrase" }) },
    { name: "POST /account/change-email", send: (_app, c) => c.post("/auth/account/change-email").send({ newEmail: "new@example.com", password: PASSWORD }) },
    { name: "GET /account/confirm-email-change", send: (app) => request(app).get(`/auth/account/confirm-email-change?token=${TOKEN}`).set("Accept", "application/json") },
    { name: "POST /account/confirm-email-change", send: (app) => request(app).post("/auth/account/confirm-email-change").send({ token: TOKEN }) },
    { name: "DELETE /account", send: (_app, c) => c.delete("/auth/account").send({ password: PASSWORD }) },
    { name: "GET /sessions", send: (_app, c) => c.get("/auth/sessions") },
    { name: "DELETE /sessions/:id", send: (_app, c) => c.delete("/auth/sessions/abc") },
    { name: "DELETE /sessions", send: (_app, c) => c.delete("/auth/sessions") },
    { name: "optionalUser GET /api/maybe", send: (_app, c) => c.get("/api/maybe") },
    // The second factor: its anonymous step, a guarded read and a guarded step-up write (the other
    // MFA routes sit behind the same guards; fewer concurrent requests keep this spec's 2 s honest on a busy machine).
    { name: "GET /mfa", send: (_app, c) => c.get("/auth/mfa") },
    { name: "POST /mfa/totp/disable", send: (_app, c) => c.post("/auth/mfa/totp/disable").send({ password: PASSWORD, code: "123456" }) },
    { name: "POST /mfa/verify", send: (app) => request(app).post("/auth/mfa/verify").send({ mfaToken: `someUserId.${"A".repeat(22)}`, code: "123456" }) },
    { name: "POST /reauth", send: (_app, c) => c.post("/auth/reauth").send({ password: PASSWORD }) },
  ];
  if (mode === "session") list.push({ name: "GET /csrf", send: (_app, c) => c.get("/auth/csrf") });
  else {
    list.push({ name: "POST /token", send: (app) => request(app).post("/auth/token").send({ username: "who@example.com", password: PASSWORD }) });
    list.push({ name: "POST /token (refresh_token grant)", send: (app, c) => request(app).post("/auth/token").type("form").send({ grant_type: "refresh_token", refresh_token: c.refreshToken }) });
    list.push({ name: "POST /revoke", send: (app, c) => request(app).post("/auth/revoke").type("form").send({ token: c.refreshToken }) });
  }
  return list;
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const mode of MODES) {
  describe(`[${mode}] Redis outage (the test's own redis-server)`, function () {
    this.timeout(60000);
    const server = new OwnRedis();
    let client: Redis;
    let t: TestApp;

    before(async () => {
      await server.start();
      client = new Redis(server.url, FAIL_FAST);
      client.on("error", () => {});
      // Without an offline queue, commands fail until the client has connected.
      await until(async () => (await client.ping()) === "PONG", 10000);
      t = await makeApp({ mode, redis: client });
    });
    after(async () => {
      client.disconnect();
      await server.stop();
    });

    /** Registers who@example.com and signs in, before Redis goes away (jwt: the credential is a bearer token). */
    async function signedIn(): Promise<Client> {
      const email = "who@example.com";
      const res = await request(t.app).post("/auth/register").send({ email, password: PASSWORD });
      // Users in SQL (GATEHOUSE_TEST_USERS) outlive this Redis: the address may be taken already.
      if (!(TEST_USERS && res.body.code === "EMAIL_ALREADY_REGISTERED")) expect(res.status, "registered").to.equal(201);
      const c = await signIn(t.app, mode, email);
      expect((await c.get("/api/profile")).status, "signed in while Redis is up").to.equal(200);
      return c;
    }

    async function expectAll503(c: Client) {
      // All at once: each must answer within 2 s on its own.
      const answers = await Promise.all(
        endpoints(mode).map(async (e) => {
          const started = Date.now();
          const res = await e.send(t.app, c);
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
      const c = await signedIn();
      await server.stop();
      await expectAll503(c);
      // Without credentials, requireUser needs no Redis: still a plain 401.
      expect((await request(t.app).get("/api/profile")).status).to.equal(401);
      await server.start();
      await until(async () => (await client.ping()) === "PONG", 10000);
      // The same process serves again (the server kept nothing, so register anew).
      const again = await signedIn();
      expect((await again.get("/api/profile")).status).to.equal(200);
    });

    it("paused (a black hole): every endpoint answers 503 within 2 s, then recovers", async () => {
      await client.flushall();
      const c = await signedIn();
      // CLIENT PAUSE cannot be lifted early (UNPAUSE is paused too): pause for a fixed time.
      await server.pause(4000);
      await expectAll503(c);
      await until(async () => (await client.ping()) === "PONG", 10000);
      // Commands sent during the pause ran when it lifted (logout, refresh): sign in again.
      const again = await signIn(t.app, mode, "who@example.com");
      expect((await again.get("/api/profile")).status).to.equal(200);
      // Nothing half-written: every user record is indexed by its email, or is a registration
      // cut off before its email claim, which expires by itself.
      await new Promise((r) => setTimeout(r, 200));
      for (const key of await allKeys(client, `${t.prefix}{u:*}:user`)) {
        const [email, id, ttl] = [await client.hget(key, "email"), await client.hget(key, "id"), await client.pttl(key)];
        const owner = await t.auth.users.findByEmail(email!);
        expect(owner?.id === id || ttl > 0, `${key}: indexed, or pending with a TTL`).to.equal(true);
      }
    });
  });
}
