import { expect } from "chai";
import request from "supertest";
import { Redis } from "ioredis";
import { generateSync } from "otplib";
import { allKeys, OwnRedis, FAIL_FAST } from "../helpers/redis.js";
import { makeApp, register, PASSWORD, sessionCookie, type TestApp } from "../helpers/app.js";
import { Client, MODES, signIn, type Mode } from "../helpers/client.js";
import { TestSmtp, linkIn } from "../helpers/smtp.js";

/**
 * The code an authenticator app shows at the app's clock (plus `steps` time steps), made by
 * otplib: never by the code under test.
 */
function codeAt(t: TestApp, secret: string, steps = 0): string {
  return generateSync({ secret, epoch: Math.floor(t.clock.t / 1000) + steps * 30 });
}

for (const mode of MODES) {
  describe(`[${mode}] second factor (TOTP)`, function () {
    this.timeout(20000);
    const smtp = new TestSmtp();
    before(() => smtp.start());
    after(() => smtp.stop());
    const at = (local: string) => `${local}.mfa.${mode}@example.com`;
    const app = (extra = {}) => makeApp({ mode, mailer: smtp.transport(), ...extra });

    /** Registers, signs in and enrolls; returns the secret (read from the setup answer) and the recovery codes. */
    async function enrolled(t: TestApp, email: string) {
      const { user } = await register(t.app, email);
      const c = await signIn(t.app, mode, email);
      const setup = await c.post("/auth/mfa/totp/setup").send({});
      expect(setup.status, JSON.stringify(setup.body)).to.equal(200);
      const secret = setup.body.secret as string;
      const enable = await c.post("/auth/mfa/totp/enable").send({ code: codeAt(t, secret) });
      expect(enable.status, JSON.stringify(enable.body)).to.equal(200);
      // The code just used is spent: move to the next step so the specs can sign in at once.
      t.clock.advance(30);
      return { email, c, secret, user, recoveryCodes: enable.body.recoveryCodes as string[] };
    }

    /** POST /login (or /token) with the right password: the pending step's answer. */
    async function pending(t: TestApp, email: string, c = new Client(t.app, mode)) {
      const res = await c.login(email);
      expect(res.status).to.equal(200);
      expect(res.body).to.have.keys(["mfaRequired", "mfaToken", "methods"]);
      return { c, res, mfaToken: res.body.mfaToken as string };
    }

    it("enrollment: a secret, an otpauth URI and an SVG QR code; on only after a right code; 10 recovery codes; a notice mail", async () => {
      const t = await app();
      const email = at("enroll");
      const { user } = await register(t.app, email);
      const c = await signIn(t.app, mode, email);
      const setup = await c.post("/auth/mfa/totp/setup").send({});
      expect(setup.status).to.equal(200);
      expect(setup.body.secret).to.match(/^[A-Z2-7]{32}$/);
      const uri = new URL(setup.body.otpauthUrl);
      expect(uri.protocol).to.equal("otpauth:");
      expect(uri.searchParams.get("secret")).to.equal(setup.body.secret);
      expect(setup.body.qrCode).to.match(/^data:image\/svg\+xml;base64,/);
      expect(Buffer.from(setup.body.qrCode.split(",")[1], "base64").toString()).to.contain("<svg");
      expect((await c.get("/auth/mfa")).body).to.include({ enabled: false });

      const wrong = await c.post("/auth/mfa/totp/enable").send({ code: "000000" === codeAt(t, setup.body.secret) ? "111111" : "000000" });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.code).to.equal("INVALID_MFA_CODE");
      expect((await c.get("/auth/mfa")).body.enabled, "still off").to.equal(false);
      expect((await request(t.app).post("/auth/login").send({ email, password: PASSWORD })).body, "login is still one step").to.have.property("user");

      const since = smtp.inbox.length;
      const ok = await c.post("/auth/mfa/totp/enable").send({ code: codeAt(t, setup.body.secret) });
      expect(ok.status).to.equal(200);
      expect(ok.body.recoveryCodes).to.have.length(10);
      expect(new Set(ok.body.recoveryCodes).size).to.equal(10);
      expect((await c.get("/auth/mfa")).body).to.deep.equal({ enabled: true, methods: ["totp", "recovery"], recoveryCodesLeft: 10, required: false });
      const notice = await smtp.waitFor(email, { subject: /Two-step sign-in is on/, since });
      expect(notice.text).to.match(/UTC from/);
      // At rest: neither the secret nor a recovery code in clear.
      const dump = (await Promise.all((await allKeys(t.redis, `${t.prefix}{u:${user.id}}:mfa*`)).map(async (k) => JSON.stringify(await t.redis.type(k) === "set" ? await t.redis.smembers(k) : await t.redis.hgetall(k))))).join(" ");
      expect(dump).to.not.contain(setup.body.secret);
      for (const code of ok.body.recoveryCodes) expect(dump).to.not.contain(code);
      expect((await c.post("/auth/mfa/totp/setup").send({})).body.code).to.equal("MFA_ALREADY_ENABLED");
    });

    it("login stops at the pending step (no session, no tokens) and completes with a code", async () => {
      const t = await app();
      const { email, secret } = await enrolled(t, at("two-step"));
      const { c, res, mfaToken } = await pending(t, email);
      expect(res.body.methods).to.deep.equal(["totp", "recovery"]);
      expect(sessionCookie(res), "no session cookie").to.equal(undefined);
      expect(res.body).to.not.have.property("access_token");
      expect((await c.get("/api/profile")).status).to.equal(401);
      const done = await c.verifyMfa(mfaToken, codeAt(t, secret));
      expect(done.status, JSON.stringify(done.body)).to.equal(200);
      expect(done.body.user.email).to.equal(email);
      if (mode === "session") expect(sessionCookie(done)).to.be.a("string");
      else expect(done.body).to.include.keys(["access_token", "refresh_token"]);
      expect((await c.get("/api/profile")).status).to.equal(200);
      const again = await request(t.app).post("/auth/mfa/verify").send({ mfaToken, code: codeAt(t, secret, 1) });
      expect(again.body.code, "single use").to.equal("MFA_CHALLENGE_INVALID");
    });

    it("a wrong password answers the same whether or not a second factor is on", async () => {
      const t = await app();
      const { email } = await enrolled(t, at("no-leak"));
      const plain = at("no-leak-plain");
      await register(t.app, plain);
      const a = await request(t.app).post("/auth/login").send({ email, password: "wrong wrong wrong" });
      const b = await request(t.app).post("/auth/login").send({ email: plain, password: "wrong wrong wrong" });
      expect([a.status, a.body.code]).to.deep.equal([401, "INVALID_CREDENTIALS"]);
      expect([b.status, b.body]).to.deep.equal([a.status, a.body]);
      expect(Object.keys(a.headers).sort()).to.deep.equal(Object.keys(b.headers).sort());
    });

    it("a recovery code signs in once, with a notice mail", async () => {
      const t = await app();
      const { email, recoveryCodes } = await enrolled(t, at("recovery"));
      const since = smtp.inbox.length;
      const first = await pending(t, email);
      const ok = await first.c.verifyMfa(first.mfaToken, recoveryCodes[0]!.toUpperCase());
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      const notice = await smtp.waitFor(email, { subject: /recovery code .* was used/, since });
      expect(notice.text).to.contain("9 unused codes are left");
      const again = await pending(t, email);
      const reused = await again.c.verifyMfa(again.mfaToken, recoveryCodes[0]!);
      expect([reused.status, reused.body.code]).to.deep.equal([400, "INVALID_MFA_CODE"]);
      expect((await again.c.verifyMfa(again.mfaToken, recoveryCodes[1]!)).status, "another code works").to.equal(200);
    });

    it("a TOTP code works once per time step (replay refused), within ±1 step", async () => {
      const t = await app();
      const { email, secret } = await enrolled(t, at("replay"));
      const code = codeAt(t, secret);
      const a = await pending(t, email);
      expect((await a.c.verifyMfa(a.mfaToken, code)).status).to.equal(200);
      const b = await pending(t, email);
      const replay = await b.c.verifyMfa(b.mfaToken, code);
      expect([replay.status, replay.body.code]).to.deep.equal([400, "INVALID_MFA_CODE"]);
      expect((await b.c.verifyMfa(b.mfaToken, codeAt(t, secret, 2))).body.code, "two steps ahead: refused").to.equal("INVALID_MFA_CODE");
      expect((await b.c.verifyMfa(b.mfaToken, codeAt(t, secret, 1))).status, "the next step (clock drift): accepted").to.equal(200);
      const c = await pending(t, email);
      expect((await c.c.verifyMfa(c.mfaToken, codeAt(t, secret))).body.code, "a step before the last used one: refused").to.equal("INVALID_MFA_CODE");
    });

    it("wrong codes end the pending step after 5 and count toward the lockout", async () => {
      const t = await app();
      const { email, secret } = await enrolled(t, at("lockout"));
      const { c, mfaToken } = await pending(t, email);
      const right = codeAt(t, secret);
      const wrong = right === "123456" ? "654321" : "123456";
      for (let i = 0; i < 5; i++) expect((await c.verifyMfa(mfaToken, wrong)).body.code, `wrong code ${i + 1}`).to.equal("INVALID_MFA_CODE");
      const after = await c.verifyMfa(mfaToken, right);
      expect(after.status, "the step is over, and this client is locked out").to.be.oneOf([401, 429]);
      expect((await c.get("/api/profile")).status).to.equal(401);
      const login = await request(t.app).post("/auth/login").send({ email, password: PASSWORD });
      expect([login.status, login.body.code]).to.deep.equal([429, "TOO_MANY_REQUESTS"]);
      expect(login.headers["retry-after"]).to.be.a("string");
    });

    it("a pending step cannot be completed by another client, nor after 5 minutes", async () => {
      const t = await app();
      const { email, secret } = await enrolled(t, at("bound"));
      const a = await pending(t, email);
      const other = await a.c.verifyMfa(a.mfaToken, codeAt(t, secret), "Another Browser/1.0");
      expect([other.status, other.body.code]).to.deep.equal([401, "MFA_CHALLENGE_INVALID"]);
      expect((await request(t.app).post("/auth/mfa/verify").set("X-Forwarded-For", "203.0.113.9").send({ mfaToken: a.mfaToken, code: "12345x" })).status).to.equal(400);
      t.clock.advance(301);
      const late = await a.c.verifyMfa(a.mfaToken, codeAt(t, secret));
      expect([late.status, late.body.code]).to.deep.equal([401, "MFA_CHALLENGE_INVALID"]);
      const b = await pending(t, email);
      t.clock.advance(299);
      expect((await b.c.verifyMfa(b.mfaToken, codeAt(t, secret))).status, "within 5 minutes").to.equal(200);
      expect((await request(t.app).post("/auth/mfa/verify").send({ mfaToken: "x.y", code: "123456" })).body.code).to.equal("MFA_CHALLENGE_INVALID");
    });

    it("step-up: sensitive actions and requireUser({ recentAuth }) need a recent sign-in; POST /reauth (password + code) refreshes it", async () => {
      const t = await app();
      const { email, secret } = await enrolled(t, at("step-up"));
      const { c, mfaToken } = await pending(t, email);
      expect((await c.verifyMfa(mfaToken, codeAt(t, secret))).status).to.equal(200);
      expect((await c.get("/api/recent")).status, "just signed in").to.equal(200);
      t.clock.advance(301);
      expect((await c.get("/api/recent")).body.code).to.equal("REAUTH_REQUIRED");
      expect((await c.get("/api/profile")).status, "other routes are not affected").to.equal(200);
      t.clock.advance(300);
      for (const [name, send] of [
        ["change-password", () => c.post("/auth/account/change-password").send({ currentPassword: PASSWORD, newPassword: "a brand new pass phrase" })],
        ["change-email", () => c.post("/auth/account/change-email").send({ newEmail: at("new"), password: PASSWORD })],
        ["delete", () => c.delete("/auth/account").send({ password: PASSWORD })],
        ["disable", () => c.post("/auth/mfa/totp/disable").send({ password: PASSWORD, code: codeAt(t, secret) })],
        ["recovery-codes", () => c.post("/auth/mfa/recovery-codes").send({ password: PASSWORD, code: codeAt(t, secret) })],
      ] as const) {
        const res = await send();
        expect([res.status, res.body.code], name).to.deep.equal([403, "REAUTH_REQUIRED"]);
      }
      const noCode = await c.post("/auth/reauth").send({ password: PASSWORD });
      expect([noCode.status, noCode.body.code], "a factor is on: a code is needed").to.deep.equal([400, "INVALID_MFA_CODE"]);
      expect((await c.post("/auth/reauth").send({ password: "wrong wrong wrong", code: codeAt(t, secret) })).body.code).to.equal("INVALID_PASSWORD");
      expect((await c.post("/auth/reauth").send({ password: PASSWORD, code: codeAt(t, secret) })).status).to.equal(204);
      expect((await c.get("/api/recent")).status).to.equal(200);
      const codes = await c.post("/auth/mfa/recovery-codes").send({ password: PASSWORD, code: codeAt(t, secret, 1) });
      expect(codes.status, JSON.stringify(codes.body)).to.equal(200);
      expect(codes.body.recoveryCodes).to.have.length(10);
    });

    it("new recovery codes kill the old set", async () => {
      const t = await app();
      const { email, secret, c, recoveryCodes } = await enrolled(t, at("new-codes"));
      const fresh = await c.post("/auth/mfa/recovery-codes").send({ password: PASSWORD, code: codeAt(t, secret) });
      expect(fresh.status).to.equal(200);
      const a = await pending(t, email);
      expect((await a.c.verifyMfa(a.mfaToken, recoveryCodes[0]!)).body.code).to.equal("INVALID_MFA_CODE");
      expect((await a.c.verifyMfa(a.mfaToken, fresh.body.recoveryCodes[0])).status).to.equal(200);
    });

    it("disable needs the password and a code; then the password alone signs in", async () => {
      const t = await app();
      const { email, secret, c } = await enrolled(t, at("disable"));
      const wrongPassword = await c.post("/auth/mfa/totp/disable").send({ password: "wrong wrong wrong", code: codeAt(t, secret) });
      expect([wrongPassword.status, wrongPassword.body.code]).to.deep.equal([400, "INVALID_PASSWORD"]);
      expect((await c.post("/auth/mfa/totp/disable").send({ password: PASSWORD })).status, "no code").to.equal(422);
      expect((await c.post("/auth/mfa/totp/disable").send({ password: PASSWORD, code: "999999" === codeAt(t, secret) ? "888888" : "999999" })).body.code).to.equal("INVALID_MFA_CODE");
      const since = smtp.inbox.length;
      expect((await c.post("/auth/mfa/totp/disable").send({ password: PASSWORD, code: codeAt(t, secret) })).status).to.equal(204);
      await smtp.waitFor(email, { subject: /turned off/, since });
      expect((await request(t.app).post("/auth/login").send({ email, password: PASSWORD })).body).to.have.property("user");
      expect((await c.post("/auth/mfa/totp/disable").send({ password: PASSWORD, code: "123456" })).body.code).to.equal("MFA_NOT_ENABLED");
    });

    it("a password reset does not bypass the second factor, and ends pending steps of the old password", async () => {
      const t = await app();
      const { email, secret } = await enrolled(t, at("reset"));
      const before = await pending(t, email);
      const since = smtp.inbox.length;
      await request(t.app).post("/auth/forgot-password").send({ email });
      const token = linkIn(await smtp.waitFor(email, { subject: /Reset your/, since })).searchParams.get("token")!;
      const newPassword = "a fresh pass phrase for reset";
      expect((await request(t.app).post("/auth/reset-password").send({ token, password: newPassword })).status).to.equal(204);
      expect((await before.c.verifyMfa(before.mfaToken, codeAt(t, secret))).body.code, "begun under the old password").to.equal("MFA_CHALLENGE_INVALID");
      const c = new Client(t.app, mode);
      const login = await c.login(email, newPassword);
      expect(login.body).to.have.keys(["mfaRequired", "mfaToken", "methods"]);
      expect((await c.verifyMfa(login.body.mfaToken, codeAt(t, secret))).status).to.equal(200);
    });

    it("deleting the account removes all second-factor state", async () => {
      const t = await app();
      const { email, c, user } = await enrolled(t, at("delete"));
      await pending(t, email);
      expect((await allKeys(t.redis, `${t.prefix}{u:${user.id}}:mfa*`)).length).to.be.greaterThan(0);
      expect((await c.delete("/auth/account").send({ password: PASSWORD })).status).to.equal(204);
      expect(await allKeys(t.redis, `${t.prefix}{u:${user.id}}:mfa*`)).to.deep.equal([]);
    });

    it("mfa.required: a user without a factor signs in restricted to enrollment", async () => {
      const t = await app({ mfa: { required: true } });
      const email = at("required");
      await register(t.app, email);
      const c = await signIn(t.app, mode, email);
      expect((await c.get("/auth/me")).status).to.equal(200);
      expect((await c.get("/api/profile")).body.code).to.equal("MFA_ENROLLMENT_REQUIRED");
      expect((await c.get("/auth/sessions")).body.code).to.equal("MFA_ENROLLMENT_REQUIRED");
      expect((await c.get("/api/maybe")).body.user, "anonymous to optionalUser").to.equal(null);
      expect((await c.get("/auth/mfa")).body).to.include({ enabled: false, required: true });
      const setup = await c.post("/auth/mfa/totp/setup").send({});
      expect((await c.post("/auth/mfa/totp/enable").send({ code: codeAt(t, setup.body.secret) })).status).to.equal(200);
      expect((await c.get("/api/profile")).status, "enrolled: the restriction is lifted").to.equal(200);
    });

    if (mode === "jwt") {
      it("POST /token stops at the pending step too; /mfa/verify answers the pair, with auth_time", async () => {
        const t = await app();
        const { email, secret } = await enrolled(t, at("token"));
        const res = await request(t.app).post("/auth/token").type("form").send({ grant_type: "password", username: email, password: PASSWORD });
        expect(res.status).to.equal(200);
        expect(res.body).to.have.keys(["mfaRequired", "mfaToken", "methods"]);
        const done = await request(t.app).post("/auth/mfa/verify").send({ mfaToken: res.body.mfaToken, code: codeAt(t, secret) });
        expect(done.status).to.equal(200);
        const claims = JSON.parse(Buffer.from(done.body.access_token.split(".")[1], "base64url").toString());
        expect(claims.auth_time).to.equal(Math.floor(t.clock.t / 1000));
      });
    }
  });
}

describe("second factor: Redis outage during the pending step", function () {
  this.timeout(60000);
  for (const mode of MODES as Mode[]) {
    it(`[${mode}] answers 503 and lets nobody in`, async () => {
      const server = await new OwnRedis().start();
      const client = new Redis(server.url, FAIL_FAST);
      client.on("error", () => {});
      try {
        for (let i = 0; i < 100 && client.status !== "ready"; i++) await new Promise((r) => setTimeout(r, 50));
        const t = await makeApp({ mode, redis: client });
        const email = `outage.mfa.${mode}@example.com`;
        await register(t.app, email);
        const c = await signIn(t.app, mode, email);
        const setup = await c.post("/auth/mfa/totp/setup").send({});
        expect((await c.post("/auth/mfa/totp/enable").send({ code: codeAt(t, setup.body.secret) })).status).to.equal(200);
        t.clock.advance(30);
        const p = new Client(t.app, mode);
        const login = await p.login(email);
        expect(login.body.mfaRequired).to.equal(true);
        await server.pause(3000);
        const started = Date.now();
        const res = await p.verifyMfa(login.body.mfaToken, codeAt(t, setup.body.secret));
        expect([res.status, res.body.code]).to.deep.equal([503, "SERVICE_UNAVAILABLE"]);
        expect(Date.now() - started).to.be.below(2000);
        expect((await p.get("/api/profile")).status).to.be.oneOf([401, 503]);
        for (let i = 0; i < 100 && (await client.ping().catch(() => "")) !== "PONG"; i++) await new Promise((r) => setTimeout(r, 50));
        expect((await p.get("/api/profile")).status, "still nobody signed in").to.equal(401);
      } finally {
        client.disconnect();
        await server.stop();
      }
    });
  }
});
