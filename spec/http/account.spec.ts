import { expect } from "chai";
import request from "supertest";
import { allKeys } from "../helpers/redis.js";
import { makeApp, register, PASSWORD, APP_URL, sessionCookie, type TestApp } from "../helpers/app.js";
import { Client, MODES, signIn } from "../helpers/client.js";
import { TestSmtp, linkIn, settle } from "../helpers/smtp.js";

const NEW_PASSWORD = "another fine pass phrase";

for (const mode of MODES) {
  describe(`[${mode}] account management`, () => {
    const smtp = new TestSmtp();
    before(() => smtp.start());
    after(() => smtp.stop());

    const app = (extra = {}) => makeApp({ mode, mailer: smtp.transport(), ...extra });
    const path = (url: URL) => `${url.pathname}${url.search}`;
    /** An address of this mode only: both runs share the inbox. */
    const at = (local: string) => `${local}.${mode}@example.com`;
    /**
     * Follows a mail link. Session mode: in the signed-in browser (its cookie rides along). JWT
     * mode: a browser holds no bearer token, so on a bare request.
     */
    /** An API client asks for JSON only; browsers and mail scanners get the confirmation page. */
    const open = (t: TestApp, c: Client, url: URL) => (mode === "session" ? c.get(path(url)) : request(t.app).get(path(url)).set("Accept", "application/json")).set("Accept", "application/json");

    /** Registers (waiting for the verification email) and signs in. */
    async function signedUp(t: TestApp, email: string) {
      const since = smtp.inbox.length;
      const r = await register(t.app, email);
      await smtp.waitFor(email, { subject: /Confirm your email/, since });
      return { ...r, c: await signIn(t.app, mode, email) };
    }

    describe("POST /account/change-password", () => {
      it(
        mode === "session"
          ? "changes the password, rotates this session (204), ends the others, and sends a notice"
          : "changes the password, answers a fresh pair (200), ends every other family and the old pair, and sends a notice",
        async () => {
          const t = await app();
          const a = await signedUp(t, at("change-pw"));
          const b = await signIn(t.app, mode, a.email);
          const held = a.c.held();
          const { csrfToken: oldCsrf, accessToken: oldAccess, refreshToken: oldRefresh } = a.c;
          const since = smtp.inbox.length;
          const res = await a.c.post("/auth/account/change-password").send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
          if (mode === "session") {
            expect(res.status).to.equal(204);
            expect(sessionCookie(res)).to.be.a("string").and.not.equal(held.value);
          } else {
            expect(res.status).to.equal(200);
            expect(res.body).to.have.keys(["access_token", "refresh_token", "token_type", "expires_in"]);
            expect(res.body.access_token).to.be.a("string").and.not.equal(oldAccess);
            expect(res.body.refresh_token).to.be.a("string").and.not.equal(oldRefresh);
            expect(res.headers["set-cookie"]).to.equal(undefined);
          }
          await a.c.afterPasswordChange(res);
          expect((await a.c.get("/api/profile")).status, "this client stays signed in").to.equal(200);
          expect((await a.c.replay(held)).status, "the old session id / access token is dead").to.equal(401);
          expect((await b.get("/api/profile")).status, "the other client is signed out at once").to.equal(401);
          if (mode === "session") {
            expect(a.c.csrfToken).to.not.equal(oldCsrf);
          } else {
            expect((await request(t.app).post("/auth/refresh").send({ refresh_token: oldRefresh })).body.code, "the old refresh token is dead").to.equal("INVALID_REFRESH_TOKEN");
            expect((await b.refresh()).body.code, "the other client's refresh token is dead").to.equal("INVALID_REFRESH_TOKEN");
          }
          expect((await a.c.refresh()).status, "the new credentials refresh").to.equal(200);
          expect((await request(t.app).post("/auth/login").send({ email: a.email, password: NEW_PASSWORD })).status).to.equal(200);
          expect((await request(t.app).post("/auth/login").send({ email: a.email, password: PASSWORD })).status).to.equal(401);
          const notice = await smtp.waitFor(a.email, { subject: /password was changed/, since });
          expect(notice.text).to.not.contain(NEW_PASSWORD);
        },
      );

      it("refuses a wrong current password (400 INVALID_PASSWORD) and a weak new one (422), changing nothing", async () => {
        const t = await app();
        const a = await signedUp(t, at("wrong-current"));
        const wrong = await a.c.post("/auth/account/change-password").send({ currentPassword: "not it at all", newPassword: NEW_PASSWORD });
        expect(wrong.status).to.equal(400);
        expect(wrong.body.code).to.equal("INVALID_PASSWORD");
        const weak = await a.c.post("/auth/account/change-password").send({ currentPassword: PASSWORD, newPassword: "short" });
        expect(weak.status).to.equal(422);
        expect(weak.body.errors[0]).to.include({ field: "newPassword", code: "TOO_SHORT" });
        expect((await request(t.app).post("/auth/login").send({ email: a.email, password: PASSWORD })).status).to.equal(200);
      });

      it("kills outstanding reset tokens", async () => {
        const t = await app();
        const a = await signedUp(t, at("kills-reset"));
        const since = smtp.inbox.length;
        await request(t.app).post("/auth/forgot-password").send({ email: a.email });
        const token = linkIn(await smtp.waitFor(a.email, { subject: /Reset/, since })).searchParams.get("token")!;
        await a.c.post("/auth/account/change-password").send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
        expect((await request(t.app).post("/auth/reset-password").send({ token, password: "yet another passphrase" })).body.code).to.equal("INVALID_TOKEN");
      });
    });

    describe("email change", () => {
      it("answers 202, mails a link to the new address and a notice to the old; the link changes and verifies the email", async () => {
        const t = await app();
        const a = await signedUp(t, at("old-address"));
        const since = smtp.inbox.length;
        const res = await a.c.post("/auth/account/change-email").send({ newEmail: `New-Address.${mode.toUpperCase()}@Example.com`, password: PASSWORD });
        expect(res.status).to.equal(202);
        const confirm = await smtp.waitFor(at("new-address"), { subject: /Confirm your new email/, since });
        const notice = await smtp.waitFor(a.email, { subject: /being changed/, since });
        expect(notice.text).to.contain(at("new-address"));
        expect(notice.text).to.not.match(/token=/);
        const link = linkIn(confirm);
        expect(link.origin).to.equal(APP_URL);
        expect(link.pathname).to.equal("/auth/account/confirm-email-change");
        expect((await a.c.get("/auth/me")).body.user.email, "nothing changes before the link is used").to.equal(a.email);
        // JWT: opened anywhere, every family's copy of the user is updated: the next /me shows it.
        const done = await open(t, a.c, link);
        expect(done.status).to.equal(200);
        expect(done.headers["referrer-policy"]).to.equal("no-referrer");
        expect(done.body.user).to.include({ email: at("new-address"), emailVerified: true });
        expect((await a.c.get("/auth/me")).body.user).to.include({ email: at("new-address"), emailVerified: true });
        expect((await request(t.app).post("/auth/login").send({ email: at("new-address"), password: PASSWORD })).status).to.equal(200);
        expect((await request(t.app).post("/auth/login").send({ email: a.email, password: PASSWORD })).status).to.equal(401);
        // the old address is free again
        expect((await request(t.app).post("/auth/register").send({ email: a.email, password: PASSWORD })).status).to.equal(201);
        expect((await request(t.app).get(path(link)).set("Accept", "application/json")).body.code, "single use").to.equal("INVALID_TOKEN");
      });

      it("answers the same for a taken address (no enumeration) and sends it no link", async () => {
        const t = await app();
        const a = await signedUp(t, at("wants-taken"));
        await signedUp(t, at("already-taken"));
        const since = smtp.inbox.length;
        const taken = await a.c.post("/auth/account/change-email").send({ newEmail: at("already-taken"), password: PASSWORD });
        const free = await a.c.post("/auth/account/change-email").send({ newEmail: at("free-one"), password: PASSWORD });
        expect(taken.status).to.equal(202);
        expect(free.status).to.equal(202);
        expect(taken.text).to.equal(free.text);
        await smtp.waitFor(at("free-one"), { since });
        await smtp.idle();
        expect(smtp.inbox.slice(since).filter((m) => m.to.includes(at("already-taken")))).to.have.length(0);
      });

      it("needs the password (400 INVALID_PASSWORD) and a single valid address (422)", async () => {
        const t = await app();
        const a = await signedUp(t, at("needs-pw"));
        const wrong = await a.c.post("/auth/account/change-email").send({ newEmail: "x@example.com", password: "not it at all" });
        expect(wrong.body.code).to.equal("INVALID_PASSWORD");
        for (const newEmail of [["x@example.com"], "x@example.com, y@example.com", 7]) {
          expect((await a.c.post("/auth/account/change-email").send({ newEmail, password: PASSWORD })).status).to.equal(422);
        }
      });

      it("a confirmation for an address taken meanwhile is 400 EMAIL_ALREADY_REGISTERED; two users racing: one wins, no orphan", async () => {
        const t = await app();
        const a = await signedUp(t, at("racer-a"));
        const b = await signedUp(t, at("racer-b"));
        const since = smtp.inbox.length;
        await a.c.post("/auth/account/change-email").send({ newEmail: at("prize"), password: PASSWORD });
        const linkA = linkIn(await smtp.waitFor(at("prize"), { since }));
        const since2 = smtp.inbox.length;
        await b.c.post("/auth/account/change-email").send({ newEmail: at("prize"), password: PASSWORD });
        const linkB = linkIn(await smtp.waitFor(at("prize"), { since: since2 }));
        const [ra, rb] = await Promise.all([request(t.app).get(path(linkA)).set("Accept", "application/json"), request(t.app).get(path(linkB)).set("Accept", "application/json")]);
        expect([ra.status, rb.status].sort()).to.deep.equal([200, 400]);
        expect([ra, rb].find((r) => r.status === 400)!.body.code).to.equal("EMAIL_ALREADY_REGISTERED");
        const owner = await t.auth.users.findByEmail(at("prize"));
        const winner = [ra, rb].find((r) => r.status === 200)!.body.user.id;
        expect(owner!.id).to.equal(winner);
        const loser = winner === a.user.id ? b : a;
        expect((await t.auth.users.findById(loser.user.id))!.email).to.equal(loser.email);
        expect(await t.auth.users.findByEmail(winner === a.user.id ? a.email : b.email), "the winner's old address is free").to.equal(null);
      });

      it("a pending change dies when another is requested or the password changes", async () => {
        const t = await app();
        const a = await signedUp(t, at("pending"));
        let since = smtp.inbox.length;
        await a.c.post("/auth/account/change-email").send({ newEmail: at("first"), password: PASSWORD });
        const first = linkIn(await smtp.waitFor(at("first"), { since }));
        since = smtp.inbox.length;
        await a.c.post("/auth/account/change-email").send({ newEmail: at("second"), password: PASSWORD });
        const second = linkIn(await smtp.waitFor(at("second"), { since }));
        expect((await request(t.app).get(path(first)).set("Accept", "application/json")).body.code).to.equal("INVALID_TOKEN");
        await a.c.post("/auth/account/change-password").send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
        expect((await request(t.app).post("/auth/account/confirm-email-change").send({ token: second.searchParams.get("token") })).body.code).to.equal("INVALID_TOKEN");
      });
    });

    describe("DELETE /account", () => {
      it("needs the password; removes the user, its email, sessions and tokens; the email can register again", async () => {
        const t = await app();
        const a = await signedUp(t, at("delete-me"));
        const b = await signIn(t.app, mode, a.email);
        const since = smtp.inbox.length;
        await request(t.app).post("/auth/forgot-password").send({ email: a.email });
        await smtp.waitFor(a.email, { subject: /Reset/, since });
        const wrong = await a.c.delete("/auth/account").send({ password: "not it at all" });
        expect(wrong.body.code).to.equal("INVALID_PASSWORD");
        if (mode === "session") expect((await a.c.agent.delete("/auth/account").send({ password: PASSWORD })).status, "needs CSRF").to.equal(403);
        expect(await a.c.meStatus(), "nothing happened yet").to.equal(200);
        const res = await a.c.delete("/auth/account").send({ password: PASSWORD });
        expect(res.status).to.equal(204);
        expect(await a.c.meStatus()).to.equal(401);
        expect(await b.meStatus(), "every other session / access token ends at once").to.equal(401);
        if (mode === "jwt") {
          for (const c of [a.c, b]) expect((await c.refresh()).body.code).to.equal("INVALID_REFRESH_TOKEN");
        }
        // Nothing of the user is left under the library's prefix: in JWT mode that includes
        // `{u:<id>}:family:*` and `{u:<id>}:families`. Leases and rate-limit counters (keyed by
        // hashed email and IP, not user data) expire by themselves; so does the credential
        // record's tombstone, which holds nothing but "gone" and the epoch.
        const all = await allKeys(t.redis, `${t.prefix}*`);
        const left = all.filter((k) => !k.includes(":claim:") && !k.includes(":rl:") && !k.endsWith(":cred"));
        expect(left).to.deep.equal([]);
        for (const tombstone of all.filter((k) => k.endsWith(":cred"))) {
          expect(Object.keys(await t.redis.hgetall(tombstone)).sort()).to.deep.equal(["epoch", "gone"]);
          expect(await t.redis.ttl(tombstone)).to.be.greaterThan(0);
        }
        const gone = await request(t.app).post("/auth/login").send({ email: a.email, password: PASSWORD });
        const never = await request(t.app).post("/auth/login").send({ email: "never-existed@example.com", password: PASSWORD });
        expect(gone.status).to.equal(401);
        expect(gone.body).to.deep.equal(never.body);
        expect((await request(t.app).post("/auth/register").send({ email: a.email, password: PASSWORD })).status).to.equal(201);
      });

      it("concurrent deletes: one 204, the rest 401, no half-deleted user", async () => {
        const t = await app();
        const a = await signedUp(t, at("twice"));
        const answers = await Promise.all(Array.from({ length: 4 }, () => a.c.delete("/auth/account").send({ password: PASSWORD })));
        expect(answers.filter((r) => r.status === 204)).to.have.length.at.least(1);
        expect(answers.every((r) => r.status === 204 || r.status === 401)).to.equal(true);
        expect(await t.auth.users.findByEmail(a.email)).to.equal(null);
        expect(await t.auth.users.findById(a.user.id)).to.equal(null);
      });
    });

    describe("hooks", () => {
      it("report each event with the request context; a throwing or rejecting hook breaks nothing", async () => {
        const events: string[] = [];
        const errors: string[] = [];
        const record = (name: string) => (e: { ip?: string; userAgent?: string; user?: { email: string }; email?: string }) => {
          events.push(`${name}:${e.user?.email ?? e.email}:${e.userAgent}`);
        };
        const t = await app({
          logger: { warn() {}, error: (m: string) => errors.push(m) },
          hooks: {
            onRegister: record("register"),
            onLogin: (e: { user: { email: string }; userAgent?: string }) => {
              record("login")(e);
              throw new Error("hook bug");
            },
            onLoginFailed: async (e: { email: string; userAgent?: string }) => {
              record("loginFailed")(e);
              throw new Error("async hook bug");
            },
            onLogout: record("logout"),
            onPasswordChanged: record("passwordChanged"),
            onAccountDeleted: record("accountDeleted"),
            onSessionRevoked: record("sessionRevoked"),
          },
        });
        const ua = "hook-test/1.0";
        const email = at("hooks");
        await request(t.app).post("/auth/register").set("User-Agent", ua).send({ email, password: PASSWORD });
        await request(t.app).post("/auth/login").set("User-Agent", ua).send({ email, password: "wrong password!" });
        const c = new Client(t.app, mode);
        const login = await c.agent.post("/auth/login").set("User-Agent", ua).send({ email, password: PASSWORD });
        expect(login.status, "a throwing hook does not fail the login").to.equal(200);
        c.take(login.body);
        await login2(t, email);
        expect((await c.delete("/auth/sessions").set("User-Agent", ua)).status).to.equal(204);
        const changed = await c.post("/auth/account/change-password").set("User-Agent", ua).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
        expect(changed.status).to.equal(mode === "session" ? 204 : 200);
        await c.afterPasswordChange(changed);
        expect((await c.delete("/auth/account").set("User-Agent", ua).send({ password: NEW_PASSWORD })).status).to.equal(204);
        await settle(50);
        expect(events).to.deep.equal([
          `register:${email}:${ua}`,
          `loginFailed:${email}:${ua}`,
          `login:${email}:${ua}`,
          `login:${email}:other`,
          `sessionRevoked:${email}:${ua}`,
          `passwordChanged:${email}:${ua}`,
          `accountDeleted:${email}:${ua}`,
        ]);
        expect(errors.filter((m) => /hook/.test(m))).to.have.length(3);
      });

      async function login2(t: TestApp, email: string) {
        expect((await request(t.app).post("/auth/login").set("User-Agent", "other").send({ email, password: PASSWORD })).status).to.equal(200);
      }
    });
  });
}
