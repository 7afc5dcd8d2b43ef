import { expect } from "chai";
import request from "supertest";
import { authRouter } from "../../lib/index.js";
import { makeApp, register, sharedTestRedis, PASSWORD, SECRET, APP_URL, type TestApp } from "../helpers/app.js";
import { MODES } from "../helpers/client.js";
import { TestSmtp, linkIn, settle } from "../helpers/smtp.js";
import { countCommands } from "../helpers/redis.js";

for (const mode of MODES) {
  describe(`[${mode}] registration that reveals nothing (preventEnumeration)`, () => {
    const smtp = new TestSmtp();
    before(() => smtp.start());
    after(() => smtp.stop());
    const at = (local: string) => `${local}.${mode}.enum@example.com`;

    async function app(): Promise<TestApp & { counter: ReturnType<typeof countCommands> }> {
      const redis = (await sharedTestRedis()).client();
      const t = await makeApp({ mode, redis, mailer: smtp.transport(), preventEnumeration: true });
      return { ...t, counter: countCommands(redis) };
    }

    /** One registration: its answer, and the hashing and Redis work it caused until its mail arrived. */
    async function attempt(t: TestApp & { counter: ReturnType<typeof countCommands> }, email: string, name: string, subject: RegExp) {
      const since = smtp.inbox.length;
      const hashes = t.hasher.hashes;
      const before = t.counter.count();
      const res = await request(t.app).post("/auth/register").send({ email, password: "another long pass phrase", name });
      const mail = await smtp.waitFor(email, { subject, since });
      await settle(100);
      return { res, mail, hashes: t.hasher.hashes - hashes, commands: t.counter.commands.slice(before) };
    }

    it("answers 202 with an empty body for a new and a taken address, after the same hashing and store work", async () => {
      const t = await app();
      const taken = at("taken");
      await request(t.app).post("/auth/register").send({ email: taken, password: PASSWORD, name: "Owner" });
      await smtp.waitFor(taken, { subject: /Confirm your email/ });
      // Warm-up: every Lua script loaded once (a first EVALSHA answers NOSCRIPT and costs an EVAL).
      await attempt(t, at("warm"), "Warm", /Confirm your email/);
      await attempt(t, taken, "Warm", /tried to create/);
      const fresh = await attempt(t, at("fresh"), "Newcomer", /Confirm your email/);
      const again = await attempt(t, taken, "Your bank: call 555-0100", /tried to create/);
      for (const { res } of [fresh, again]) {
        expect(res.status).to.equal(202);
        expect(res.text).to.equal("");
        expect(res.headers["set-cookie"]).to.equal(undefined);
      }
      expect(again.hashes, "one hash each").to.equal(1);
      expect(fresh.hashes).to.equal(1);
      expect(again.commands.length, `Redis commands: ${fresh.commands.join(" ")} / ${again.commands.join(" ")}`).to.equal(fresh.commands.length);
    });

    it("the new address gets the verification mail; the taken one a notice with a sign-in and a working reset link, without the attempt's words", async () => {
      const t = await app();
      const taken = at("owner");
      await request(t.app).post("/auth/register").send({ email: taken, password: PASSWORD });
      await smtp.waitFor(taken, { subject: /Confirm your email/ });
      const fresh = await attempt(t, at("newcomer"), "Newcomer", /Confirm your email/);
      const token = linkIn(fresh.mail).searchParams.get("token");
      expect((await request(t.app).post("/auth/verify-email").send({ token })).status).to.equal(200);

      const { mail } = await attempt(t, taken, "Call 555-0100 now", /tried to create/);
      expect(mail.text).to.not.contain("555-0100");
      expect(mail.html).to.not.contain("555-0100");
      expect(mail.text).to.contain(`sign in here: ${APP_URL}/`);
      const reset = /https?:\/\/\S+reset-password\?token=\S+/.exec(mail.text);
      expect(reset, mail.text).to.not.equal(null);
      const resetToken = new URL(reset![0]).searchParams.get("token");
      expect((await request(t.app).post("/auth/forgot-password/validate").send({ token: resetToken })).status).to.equal(200);
      // The owner's password is untouched, the attempt's is not theirs.
      expect((await request(t.app).post("/auth/login").send({ email: taken, password: PASSWORD })).status).to.equal(200);
      expect((await request(t.app).post("/auth/login").send({ email: taken, password: "another long pass phrase" })).status).to.equal(401);
    });

    it("validation still answers 422 (it depends on the input, not on the address)", async () => {
      const t = await app();
      expect((await request(t.app).post("/auth/register").send({ email: at("short"), password: "short" })).status).to.equal(422);
    });

    it("without the option, a taken address is 400 EMAIL_ALREADY_REGISTERED as before", async () => {
      const t = await makeApp({ mode });
      const { email } = await register(t.app, at("plain"));
      const res = await request(t.app).post("/auth/register").send({ email, password: PASSWORD });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal("EMAIL_ALREADY_REGISTERED");
    });

    it("signInOnRegister with preventEnumeration is refused at construction with a TypeError", () => {
      expect(() => authRouter({ secret: SECRET, appUrl: APP_URL, mode, storage: { inMemory: true }, preventEnumeration: true, signInOnRegister: true, logger: { warn() {}, error() {} } })).to.throw(
        TypeError,
        /preventEnumeration and signInOnRegister/,
      );
    });
  });
}
