import { expect } from "chai";
import request from "supertest";
import { makeApp, register, PASSWORD, APP_URL } from "../helpers/app.js";
import { MODES, signIn } from "../helpers/client.js";
import { TestSmtp, linkIn, settle } from "../helpers/smtp.js";

const NEW_PASSWORD = "a brand new pass phrase";

for (const mode of MODES) {
  describe(`[${mode}] password reset`, () => {
    const smtp = new TestSmtp();
    before(() => smtp.start());
    after(() => smtp.stop());

    const app = (extra = {}) => makeApp({ mode, mailer: smtp.transport(), ...extra });
    /** An address of this mode only: both runs share the inbox. */
    const at = (local: string) => `${local}.${mode}@example.com`;

    /** Registers and waits for the verification email, so later mail counts start clean. */
    async function registered(t: Awaited<ReturnType<typeof app>>, email: string) {
      const since = smtp.inbox.length;
      const r = await register(t.app, email);
      await smtp.waitFor(email, { subject: /Confirm your email/, since });
      return r;
    }

    /** Asks for a reset and returns the token from the email the user receives. */
    async function resetToken(t: Awaited<ReturnType<typeof app>>, email: string, typed = email): Promise<string> {
      const since = smtp.inbox.length;
      const res = await request(t.app).post("/auth/forgot-password").send({ email: typed });
      expect(res.status).to.equal(202);
      const mail = await smtp.waitFor(email, { subject: /Reset your/, since });
      return linkIn(mail).searchParams.get("token")!;
    }

    it("runs the whole journey: forgot → mail → validate → reset → sign in with the new password, notice sent", async () => {
      const t = await app();
      const { email } = await register(t.app, at("journey"));
      const since = smtp.inbox.length;
      await request(t.app).post("/auth/forgot-password").send({ email: `JOURNEY.${mode.toUpperCase()}@example.com ` });
      const mail = await smtp.waitFor(email, { subject: /Reset your/, since });
      const link = linkIn(mail);
      expect(link.origin + link.pathname).to.equal(`${APP_URL}/reset-password`);
      const token = link.searchParams.get("token")!;
      for (let i = 0; i < 2; i++) {
        const v = await request(t.app).post("/auth/forgot-password/validate").send({ token });
        expect(v.status, "validate does not consume").to.equal(200);
        expect(v.body).to.deep.equal({ valid: true });
      }
      const reset = await request(t.app).post("/auth/reset-password").send({ token, password: NEW_PASSWORD });
      expect(reset.status).to.equal(204);
      expect((await request(t.app).post("/auth/login").send({ email, password: PASSWORD })).status).to.equal(401);
      expect((await request(t.app).post("/auth/login").send({ email, password: NEW_PASSWORD })).status).to.equal(200);
      const notice = await smtp.waitFor(email, { subject: /password was changed/, since });
      expect(notice.text).to.not.contain(NEW_PASSWORD);
      expect(notice.text).to.not.contain(token);
    });

    it("answers known and unknown emails identically (status, body, headers) and mails only known ones", async () => {
      const t = await app();
      const { email } = await registered(t, at("known"));
      const since = smtp.inbox.length;
      const known = await request(t.app).post("/auth/forgot-password").send({ email });
      const unknown = await request(t.app).post("/auth/forgot-password").send({ email: at("unknown") });
      expect(known.status).to.equal(202);
      expect(unknown.status).to.equal(202);
      expect(known.text).to.equal(unknown.text);
      const pick = (h: Record<string, string>) => ({ ...h, date: undefined });
      expect(pick(known.headers)).to.deep.equal(pick(unknown.headers));
      await smtp.waitFor(email, { since });
      await settle();
      expect(smtp.inbox.slice(since).map((m) => m.to[0])).to.deep.equal([email]);
    });

    it("mails only the stored address: a Unicode look-alike of an address matches nothing", async () => {
      const t = await app();
      await registered(t, `user.${mode}@github.com`);
      const since = smtp.inbox.length;
      expect((await request(t.app).post("/auth/forgot-password").send({ email: `user.${mode}@gıthub.com` })).status).to.equal(202);
      await settle();
      expect(smtp.inbox.slice(since)).to.have.length(0);
    });

    it("refuses arrays, objects and several addresses in email (422), sending nothing", async () => {
      const t = await app();
      await registered(t, at("victim"));
      const since = smtp.inbox.length;
      for (const email of [[at("victim"), "attacker@evil.test"], { email: at("victim") }, `${at("victim")}, attacker@evil.test`, `${at("victim")}\nattacker@evil.test`]) {
        const res = await request(t.app).post("/auth/forgot-password").send({ email });
        expect(res.status, JSON.stringify(email)).to.equal(422);
      }
      await smtp.idle();
      expect(smtp.inbox.slice(since)).to.have.length(0);
    });

    it("a reset token is single use, and of 10 concurrent resets exactly one succeeds", async () => {
      const t = await app();
      const { email } = await register(t.app, at("single"));
      const token = await resetToken(t, email);
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => request(t.app).post("/auth/reset-password").send({ token, password: `${NEW_PASSWORD} ${i}` })));
      expect(answers.filter((r) => r.status === 204)).to.have.length(1);
      expect(answers.filter((r) => r.status === 400 && r.body.code === "INVALID_TOKEN")).to.have.length(9);
      const again = await request(t.app).post("/auth/reset-password").send({ token, password: NEW_PASSWORD });
      expect(again.body.code).to.equal("INVALID_TOKEN");
      expect((await request(t.app).post("/auth/forgot-password/validate").send({ token })).body.code).to.equal("INVALID_TOKEN");
    });

    it("expires after 1 h (injected clock)", async () => {
      const t = await app();
      const { email } = await register(t.app, at("expire-reset"));
      const token = await resetToken(t, email);
      t.clock.advance(3601);
      expect((await request(t.app).post("/auth/forgot-password/validate").send({ token })).body.code).to.equal("INVALID_TOKEN");
      expect((await request(t.app).post("/auth/reset-password").send({ token, password: NEW_PASSWORD })).body.code).to.equal("INVALID_TOKEN");
    });

    it("dies when the password changes by another path, and when a newer token is issued", async () => {
      const t = await app();
      const { email, user } = await register(t.app, at("dies"));
      const token = await resetToken(t, email);
      await t.auth.users.update(user.id, { passwordHash: await t.hasher.hash("changed elsewhere!"), updatedAt: t.clock.now() });
      expect((await request(t.app).post("/auth/reset-password").send({ token, password: NEW_PASSWORD })).body.code).to.equal("INVALID_TOKEN");
      const older = await resetToken(t, email);
      const newer = await resetToken(t, email);
      expect((await request(t.app).post("/auth/forgot-password/validate").send({ token: older })).body.code).to.equal("INVALID_TOKEN");
      expect((await request(t.app).post("/auth/reset-password").send({ token: newer, password: NEW_PASSWORD })).status).to.equal(204);
    });

    it("a password the policy refuses is 422 and does not burn the token", async () => {
      const t = await app();
      const { email } = await register(t.app, at("policy-reset"));
      const token = await resetToken(t, email);
      const weak = await request(t.app).post("/auth/reset-password").send({ token, password: "password1" });
      expect(weak.status).to.equal(422);
      expect(weak.body.errors[0].code).to.equal("PASSWORD_TOO_COMMON");
      expect((await request(t.app).post("/auth/reset-password").send({ token, password: NEW_PASSWORD })).status).to.equal(204);
    });

    it("ends every session of the user", async () => {
      const t = await app();
      const { email } = await register(t.app, at("sessions-reset"));
      const a = await signIn(t.app, mode, email);
      const b = await signIn(t.app, mode, email);
      expect((await a.get("/api/profile")).status).to.equal(200);
      expect(await b.meStatus()).to.equal(200);
      const token = await resetToken(t, email);
      expect((await request(t.app).post("/auth/reset-password").send({ token, password: NEW_PASSWORD })).status).to.equal(204);
      // JWT: the access tokens are 401 at once, not at their expiry; the refresh tokens are dead.
      expect((await a.get("/api/profile")).status).to.equal(401);
      expect(await b.meStatus()).to.equal(401);
      if (mode === "jwt") {
        for (const c of [a, b]) expect((await c.refresh()).body.code).to.equal("INVALID_REFRESH_TOKEN");
      }
    });

    it(
      mode === "session"
        ? "a session signed in with the old password that escaped revocation ends at its next check"
        : "a refresh-token family signed in with the old password that escaped revocation cannot refresh",
      async () => {
        const t = await app();
        const { email, user } = await register(t.app, at("escaped"));
        const c = await signIn(t.app, mode, email);
        // The password changes without the session index / family list (as if a login raced the revocation).
        await t.auth.users.update(user.id, { passwordHash: await t.hasher.hash(NEW_PASSWORD), updatedAt: t.clock.now() });
        t.clock.advance(61);
        if (mode === "session") {
          expect((await c.get("/api/profile")).status).to.equal(401);
        } else {
          const refreshed = await c.refresh();
          expect(refreshed.status, "a family of the old password is not renewed").to.equal(401);
          expect(refreshed.body.code).to.equal("INVALID_REFRESH_TOKEN");
        }
      },
    );

    it("builds the reset link from appUrl even with a forged Host", async () => {
      const t = await app();
      t.app.set("trust proxy", true);
      const { email } = await registered(t, at("host-reset"));
      const since = smtp.inbox.length;
      await request(t.app).post("/auth/forgot-password").set("Host", "evil.test").set("X-Forwarded-Host", "evil.test").send({ email });
      const mail = await smtp.waitFor(email, { since, subject: /Reset/ });
      expect(linkIn(mail).origin).to.equal(APP_URL);
      expect(mail.text + mail.html).to.not.contain("evil.test");
    });
  });
}
