import { expect } from "chai";
import request from "supertest";
import { makeApp, login, register, PASSWORD, APP_URL, sessionCookie } from "../helpers/app.js";
import { TestSmtp, linkIn, settle } from "../helpers/smtp.js";

const NEW_PASSWORD = "another fine pass phrase";

describe("account management", () => {
  const smtp = new TestSmtp();
  before(() => smtp.start());
  after(() => smtp.stop());

  const app = (extra = {}) => makeApp({ mailer: smtp.transport(), ...extra });
  const path = (url: URL) => `${url.pathname}${url.search}`;

  /** Registers (waiting for the verification email) and signs in. */
  async function signedUp(t: Awaited<ReturnType<typeof app>>, email: string) {
    const since = smtp.inbox.length;
    const r = await register(t.app, email);
    await smtp.waitFor(email, { subject: /Confirm your email/, since });
    return { ...r, ...(await login(t.app, email)) };
  }

  describe("POST /account/change-password", () => {
    it("changes the password, rotates this session, ends the others, and sends a notice", async () => {
      const t = await app();
      const a = await signedUp(t, "change-pw@example.com");
      const b = await login(t.app, a.email);
      const oldCookie = sessionCookie(a.res)!;
      const since = smtp.inbox.length;
      const res = await a.agent.post("/auth/account/change-password").set("X-CSRF-Token", a.csrfToken).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect(res.status).to.equal(204);
      expect(sessionCookie(res)).to.be.a("string").and.not.equal(oldCookie);
      expect((await a.agent.get("/api/profile")).status, "this browser stays signed in").to.equal(200);
      expect((await request(t.app).get("/auth/me").set("Cookie", oldCookie)).status, "old id dead").to.equal(401);
      expect((await b.agent.get("/api/profile")).status, "the other browser is signed out").to.equal(401);
      const { body } = await a.agent.get("/auth/csrf");
      expect(body.csrfToken).to.not.equal(a.csrfToken);
      expect((await a.agent.post("/auth/refresh").set("X-CSRF-Token", body.csrfToken)).status).to.equal(200);
      expect((await request(t.app).post("/auth/login").send({ email: a.email, password: NEW_PASSWORD })).status).to.equal(200);
      expect((await request(t.app).post("/auth/login").send({ email: a.email, password: PASSWORD })).status).to.equal(401);
      const notice = await smtp.waitFor(a.email, { subject: /password was changed/, since });
      expect(notice.text).to.not.contain(NEW_PASSWORD);
    });

    it("refuses a wrong current password (400 INVALID_PASSWORD) and a weak new one (422), changing nothing", async () => {
      const t = await app();
      const a = await signedUp(t, "wrong-current@example.com");
      const wrong = await a.agent.post("/auth/account/change-password").set("X-CSRF-Token", a.csrfToken).send({ currentPassword: "not it at all", newPassword: NEW_PASSWORD });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.code).to.equal("INVALID_PASSWORD");
      const weak = await a.agent.post("/auth/account/change-password").set("X-CSRF-Token", a.csrfToken).send({ currentPassword: PASSWORD, newPassword: "short" });
      expect(weak.status).to.equal(422);
      expect(weak.body.errors[0]).to.include({ field: "newPassword", code: "TOO_SHORT" });
      expect((await request(t.app).post("/auth/login").send({ email: a.email, password: PASSWORD })).status).to.equal(200);
    });

    it("kills outstanding reset tokens", async () => {
      const t = await app();
      const a = await signedUp(t, "kills-reset@example.com");
      const since = smtp.inbox.length;
      await request(t.app).post("/auth/forgot-password").send({ email: a.email });
      const token = linkIn(await smtp.waitFor(a.email, { subject: /Reset/, since })).searchParams.get("token")!;
      await a.agent.post("/auth/account/change-password").set("X-CSRF-Token", a.csrfToken).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect((await request(t.app).post("/auth/reset-password").send({ token, password: "yet another passphrase" })).body.code).to.equal("INVALID_TOKEN");
    });
  });

  describe("email change", () => {
    it("answers 202, mails a link to the new address and a notice to the old; the link changes and verifies the email", async () => {
      const t = await app();
      const a = await signedUp(t, "old-address@example.com");
      const since = smtp.inbox.length;
      const res = await a.agent.post("/auth/account/change-email").set("X-CSRF-Token", a.csrfToken).send({ newEmail: "New-Address@Example.com", password: PASSWORD });
      expect(res.status).to.equal(202);
      const confirm = await smtp.waitFor("new-address@example.com", { subject: /Confirm your new email/, since });
      const notice = await smtp.waitFor(a.email, { subject: /being changed/, since });
      expect(notice.text).to.contain("new-address@example.com");
      expect(notice.text).to.not.match(/token=/);
      const link = linkIn(confirm);
      expect(link.origin).to.equal(APP_URL);
      expect(link.pathname).to.equal("/auth/account/confirm-email-change");
      expect((await a.agent.get("/auth/me")).body.user.email, "nothing changes before the link is used").to.equal(a.email);
      const done = await a.agent.get(path(link));
      expect(done.status).to.equal(200);
      expect(done.headers["referrer-policy"]).to.equal("no-referrer");
      expect(done.body.user).to.include({ email: "new-address@example.com", emailVerified: true });
      expect((await a.agent.get("/auth/me")).body.user.email).to.equal("new-address@example.com");
      expect((await request(t.app).post("/auth/login").send({ email: "new-address@example.com", password: PASSWORD })).status).to.equal(200);
      expect((await request(t.app).post("/auth/login").send({ email: a.email, password: PASSWORD })).status).to.equal(401);
      // the old address is free again
      expect((await request(t.app).post("/auth/register").send({ email: a.email, password: PASSWORD })).status).to.equal(201);
      expect((await request(t.app).get(path(link))).body.code, "single use").to.equal("INVALID_TOKEN");
    });

    it("answers the same for a taken address (no enumeration) and sends it no link", async () => {
      const t = await app();
      const a = await signedUp(t, "wants-taken@example.com");
      await signedUp(t, "already-taken@example.com");
      const since = smtp.inbox.length;
      const taken = await a.agent.post("/auth/account/change-email").set("X-CSRF-Token", a.csrfToken).send({ newEmail: "already-taken@example.com", password: PASSWORD });
      const free = await a.agent.post("/auth/account/change-email").set("X-CSRF-Token", a.csrfToken).send({ newEmail: "free-one@example.com", password: PASSWORD });
      expect(taken.status).to.equal(202);
      expect(free.status).to.equal(202);
      expect(taken.text).to.equal(free.text);
      await smtp.waitFor("free-one@example.com", { since });
      await settle();
      expect(smtp.inbox.slice(since).filter((m) => m.to.includes("already-taken@example.com"))).to.have.length(0);
    });

    it("needs the password (400 INVALID_PASSWORD) and a single valid address (422)", async () => {
      const t = await app();
      const a = await signedUp(t, "needs-pw@example.com");
      const wrong = await a.agent.post("/auth/account/change-email").set("X-CSRF-Token", a.csrfToken).send({ newEmail: "x@example.com", password: "not it at all" });
      expect(wrong.body.code).to.equal("INVALID_PASSWORD");
      for (const newEmail of [["x@example.com"], "x@example.com, y@example.com", 7]) {
        expect((await a.agent.post("/auth/account/change-email").set("X-CSRF-Token", a.csrfToken).send({ newEmail, password: PASSWORD })).status).to.equal(422);
      }
    });

    it("a confirmation for an address taken meanwhile is 400 EMAIL_ALREADY_REGISTERED; two users racing: one wins, no orphan", async () => {
      const t = await app();
      const a = await signedUp(t, "racer-a@example.com");
      const b = await signedUp(t, "racer-b@example.com");
      const since = smtp.inbox.length;
      await a.agent.post("/auth/account/change-email").set("X-CSRF-Token", a.csrfToken).send({ newEmail: "prize@example.com", password: PASSWORD });
      const linkA = linkIn(await smtp.waitFor("prize@example.com", { since }));
      const since2 = smtp.inbox.length;
      await b.agent.post("/auth/account/change-email").set("X-CSRF-Token", b.csrfToken).send({ newEmail: "prize@example.com", password: PASSWORD });
      const linkB = linkIn(await smtp.waitFor("prize@example.com", { since: since2 }));
      const [ra, rb] = await Promise.all([request(t.app).get(path(linkA)), request(t.app).get(path(linkB))]);
      expect([ra.status, rb.status].sort()).to.deep.equal([200, 400]);
      expect([ra, rb].find((r) => r.status === 400)!.body.code).to.equal("EMAIL_ALREADY_REGISTERED");
      const owner = await t.auth.users.findByEmail("prize@example.com");
      const winner = [ra, rb].find((r) => r.status === 200)!.body.user.id;
      expect(owner!.id).to.equal(winner);
      const loser = winner === a.user.id ? b : a;
      expect((await t.auth.users.findById(loser.user.id))!.email).to.equal(loser.email);
      expect(await t.auth.users.findByEmail(winner === a.user.id ? a.email : b.email), "the winner's old address is free").to.equal(null);
    });

    it("a pending change dies when another is requested or the password changes", async () => {
      const t = await app();
      const a = await signedUp(t, "pending@example.com");
      let since = smtp.inbox.length;
      await a.agent.post("/auth/account/change-email").set("X-CSRF-Token", a.csrfToken).send({ newEmail: "first@example.com", password: PASSWORD });
      const first = linkIn(await smtp.waitFor("first@example.com", { since }));
      since = smtp.inbox.length;
      await a.agent.post("/auth/account/change-email").set("X-CSRF-Token", a.csrfToken).send({ newEmail: "second@example.com", password: PASSWORD });
      const second = linkIn(await smtp.waitFor("second@example.com", { since }));
      expect((await request(t.app).get(path(first))).body.code).to.equal("INVALID_TOKEN");
      await a.agent.post("/auth/account/change-password").set("X-CSRF-Token", a.csrfToken).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      expect((await request(t.app).post("/auth/account/confirm-email-change").send({ token: second.searchParams.get("token") })).body.code).to.equal("INVALID_TOKEN");
    });
  });

  describe("DELETE /account", () => {
    it("needs the password; removes the user, its email, sessions and tokens; the email can register again", async () => {
      const t = await app();
      const a = await signedUp(t, "delete-me@example.com");
      const b = await login(t.app, a.email);
      const since = smtp.inbox.length;
      await request(t.app).post("/auth/forgot-password").send({ email: a.email });
      await smtp.waitFor(a.email, { subject: /Reset/, since });
      const wrong = await a.agent.delete("/auth/account").set("X-CSRF-Token", a.csrfToken).send({ password: "not it at all" });
      expect(wrong.body.code).to.equal("INVALID_PASSWORD");
      expect((await a.agent.delete("/auth/account").send({ password: PASSWORD })).status, "needs CSRF").to.equal(403);
      const res = await a.agent.delete("/auth/account").set("X-CSRF-Token", a.csrfToken).send({ password: PASSWORD });
      expect(res.status).to.equal(204);
      expect((await a.agent.get("/auth/me")).status).to.equal(401);
      expect((await b.agent.get("/auth/me")).status).to.equal(401);
      // Nothing of the user is left under the library's prefix (leases expire by themselves).
      const left = (await t.redis.keys(`${t.prefix}*`)).filter((k) => !k.includes(":claim:"));
      expect(left).to.deep.equal([]);
      const gone = await request(t.app).post("/auth/login").send({ email: a.email, password: PASSWORD });
      const never = await request(t.app).post("/auth/login").send({ email: "never-existed@example.com", password: PASSWORD });
      expect(gone.status).to.equal(401);
      expect(gone.body).to.deep.equal(never.body);
      expect((await request(t.app).post("/auth/register").send({ email: a.email, password: PASSWORD })).status).to.equal(201);
    });

    it("concurrent deletes: one 204, the rest 401, no half-deleted user", async () => {
      const t = await app();
      const a = await signedUp(t, "twice@example.com");
      const answers = await Promise.all(Array.from({ length: 4 }, () => a.agent.delete("/auth/account").set("X-CSRF-Token", a.csrfToken).send({ password: PASSWORD })));
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
      await request(t.app).post("/auth/register").set("User-Agent", ua).send({ email: "hooks@example.com", password: PASSWORD });
      await request(t.app).post("/auth/login").set("User-Agent", ua).send({ email: "hooks@example.com", password: "wrong password!" });
      const agent = request.agent(t.app);
      const login = await agent.post("/auth/login").set("User-Agent", ua).send({ email: "hooks@example.com", password: PASSWORD });
      expect(login.status, "a throwing hook does not fail the login").to.equal(200);
      await login2(t);
      await agent.delete("/auth/sessions").set("User-Agent", ua).set("X-CSRF-Token", login.body.csrfToken);
      await agent.post("/auth/account/change-password").set("User-Agent", ua).set("X-CSRF-Token", login.body.csrfToken).send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
      const { body } = await agent.get("/auth/csrf");
      await agent.delete("/auth/account").set("User-Agent", ua).set("X-CSRF-Token", body.csrfToken).send({ password: NEW_PASSWORD });
      await settle(50);
      expect(events).to.deep.equal([
        `register:hooks@example.com:${ua}`,
        `loginFailed:hooks@example.com:${ua}`,
        `login:hooks@example.com:${ua}`,
        `login:hooks@example.com:other`,
        `sessionRevoked:hooks@example.com:${ua}`,
        `passwordChanged:hooks@example.com:${ua}`,
        `accountDeleted:hooks@example.com:${ua}`,
      ]);
      expect(errors.filter((m) => /hook/.test(m))).to.have.length(3);
    });

    async function login2(t: Awaited<ReturnType<typeof app>>) {
      await request(t.app).post("/auth/login").set("User-Agent", "other").send({ email: "hooks@example.com", password: PASSWORD });
    }
  });
});
