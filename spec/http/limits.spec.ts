import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import { makeApp, register, PASSWORD } from "../helpers/app.js";
import { MODES, signIn } from "../helpers/client.js";
import { TestSmtp, linkIn } from "../helpers/smtp.js";

const WRONG = "definitely not the password";
const trusted = (a: Express) => a.set("trust proxy", true);

/** A login from a given client address (the app trusts X-Forwarded-For in these specs). */
const loginFrom = (app: Express, ip: string, email: string, password: string) =>
  request(app).post("/auth/login").set("X-Forwarded-For", ip).send({ email, password });

describe("rate limits and lockout", () => {
  it("locks an account for one client after 5 failures: 429 with Retry-After whatever the password; unknown emails answer the same sequence", async () => {
    const t = await makeApp({}, trusted);
    const { email } = await register(t.app);
    const sequence = async (address: string, last: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await loginFrom(t.app, "203.0.113.1", address, WRONG)).status);
      const locked = await loginFrom(t.app, "203.0.113.1", address, last);
      statuses.push(locked.status);
      return { statuses, locked };
    };
    const known = await sequence(email, PASSWORD);
    const unknown = await sequence("nobody-here@example.com", PASSWORD);
    expect(known.statuses).to.deep.equal([401, 401, 401, 401, 401, 429]);
    expect(unknown.statuses).to.deep.equal(known.statuses);
    expect(known.locked.body.code).to.equal("TOO_MANY_REQUESTS");
    expect(Number(known.locked.headers["retry-after"])).to.be.within(1, 900);
    expect(known.locked.body).to.deep.equal(unknown.locked.body);
    // The owner, from another address, is not locked out by that pair lock.
    expect((await loginFrom(t.app, "198.51.100.7", email, PASSWORD)).status).to.equal(200);
  });

  it("caps failures per account from anywhere (the account ceiling), whatever the address", async () => {
    const t = await makeApp({ rateLimits: { loginAccount: { points: 12 } } }, trusted);
    const { email } = await register(t.app);
    for (let i = 0; i < 12; i++) expect((await loginFrom(t.app, `203.0.113.${10 + (i % 4)}`, email, WRONG)).status).to.equal(401);
    const res = await loginFrom(t.app, "192.0.2.99", email, PASSWORD);
    expect(res.status).to.equal(429);
    expect(res.headers["retry-after"]).to.match(/^\d+$/);
  });

  it("caps failures per client across accounts (credential stuffing)", async () => {
    const t = await makeApp({ rateLimits: { loginIp: { points: 6 } } }, trusted);
    for (let i = 0; i < 6; i++) expect((await loginFrom(t.app, "203.0.113.50", `victim${i}@example.com`, WRONG)).status).to.equal(401);
    expect((await loginFrom(t.app, "203.0.113.50", "victim-next@example.com", WRONG)).status).to.equal(429);
    expect((await loginFrom(t.app, "203.0.113.51", "victim-next@example.com", WRONG)).status, "another client").to.equal(401);
  });

  it("counts each attempt before the password check: parallel guesses cannot slip past the lock", async () => {
    const t = await makeApp({}, trusted);
    const { email } = await register(t.app);
    const answers = await Promise.all(Array.from({ length: 20 }, () => loginFrom(t.app, "203.0.113.77", email, WRONG)));
    expect(answers.filter((r) => r.status === 401)).to.have.length(5);
    expect(answers.filter((r) => r.status === 429)).to.have.length(15);
  });

  it("a success clears this client's failures on the account", async () => {
    const t = await makeApp({}, trusted);
    const { email } = await register(t.app);
    for (let i = 0; i < 4; i++) await loginFrom(t.app, "203.0.113.5", email, WRONG);
    expect((await loginFrom(t.app, "203.0.113.5", email, PASSWORD)).status).to.equal(200);
    for (let i = 0; i < 4; i++) expect((await loginFrom(t.app, "203.0.113.5", email, WRONG)).status).to.equal(401);
  });

  it("ignores X-Forwarded-For unless the app trusts its proxy", async () => {
    const t = await makeApp({ rateLimits: { loginIp: { points: 3 } } });
    for (let i = 0; i < 3; i++) await loginFrom(t.app, `203.0.113.${i}`, `spoof${i}@example.com`, WRONG);
    expect((await loginFrom(t.app, "203.0.113.200", "spoof-x@example.com", WRONG)).status, "all from the real peer").to.equal(429);
  });

  it("POST /token shares login's counters (jwt mode)", async () => {
    const t = await makeApp({ mode: "jwt" }, trusted);
    const { email } = await register(t.app);
    for (let i = 0; i < 3; i++) await loginFrom(t.app, "203.0.113.9", email, WRONG);
    // RFC 6749 §5.2: a wrong password is 400 invalid_grant on /token.
    for (let i = 0; i < 2; i++) expect((await request(t.app).post("/auth/token").set("X-Forwarded-For", "203.0.113.9").type("form").send({ username: email, password: WRONG })).body).to.include({ status: 400, error: "invalid_grant" });
    const locked = await request(t.app).post("/auth/token").set("X-Forwarded-For", "203.0.113.9").type("form").send({ username: email, password: PASSWORD });
    expect(locked.status).to.equal(429);
    expect(locked.body).to.include({ code: "TOO_MANY_REQUESTS", error: "temporarily_unavailable" });
    expect(locked.headers["retry-after"]).to.be.a("string");
    expect((await loginFrom(t.app, "203.0.113.9", email, PASSWORD)).status).to.equal(429);
  });

  for (const mode of MODES) {
    it(`[${mode}] a wrong current password counts as a failed login (a stolen session cannot brute-force it)`, async () => {
      const t = await makeApp({ mode });
      const { email } = await register(t.app);
      const c = await signIn(t.app, mode, email);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await c.post("/auth/account/change-password").send({ currentPassword: `${WRONG} ${i}`, newPassword: "a whole new passphrase" })).status);
      }
      expect(statuses).to.deep.equal([400, 400, 400, 400, 400, 429]);
      expect((await c.delete("/auth/account").send({ password: PASSWORD })).status, "the lock covers delete too").to.equal(429);
    });
  }

  describe("mail and token endpoints", () => {
    const smtp = new TestSmtp();
    before(() => smtp.start());
    after(() => smtp.stop());

    it("forgot-password: 3 per email per hour, same answers for unknown emails; never locks login", async () => {
      const t = await makeApp({ mailer: smtp.transport() }, trusted);
      const { email } = await register(t.app);
      const run = async (address: string, ip: string) => {
        const out: number[] = [];
        for (let i = 0; i < 4; i++) out.push((await request(t.app).post("/auth/forgot-password").set("X-Forwarded-For", ip).send({ email: address })).status);
        return out;
      };
      expect(await run(email, "203.0.113.20")).to.deep.equal([202, 202, 202, 429]);
      expect(await run("ghost@example.com", "203.0.113.21")).to.deep.equal([202, 202, 202, 429]);
      expect((await loginFrom(t.app, "203.0.113.20", email, PASSWORD)).status).to.equal(200);
    });

    it("registration is limited per client", async () => {
      const t = await makeApp({ rateLimits: { registerIp: { points: 2 } } }, trusted);
      const reg = (i: number) => request(t.app).post("/auth/register").set("X-Forwarded-For", "203.0.113.30").send({ email: `r${i}@example.com`, password: PASSWORD });
      expect([(await reg(1)).status, (await reg(2)).status, (await reg(3)).status]).to.deep.equal([201, 201, 429]);
    });

    it("guessing tokens is throttled per client, and a valid token is not counted against it", async () => {
      const t = await makeApp({ mailer: smtp.transport(), rateLimits: { tokenIp: { points: 4 } } }, trusted);
      const since = smtp.inbox.length;
      const { email } = await register(t.app, "guess@example.com");
      const token = linkIn(await smtp.waitFor(email, { since })).searchParams.get("token")!;
      const guess = () => request(t.app).post("/auth/verify-email").set("X-Forwarded-For", "203.0.113.40").send({ token: `${token.split(".")[0]}.${"B".repeat(43)}` });
      for (let i = 0; i < 3; i++) expect((await guess()).status).to.equal(400);
      expect((await request(t.app).post("/auth/verify-email").set("X-Forwarded-For", "203.0.113.40").send({ token })).status, "the real token").to.equal(200);
      expect((await guess()).status).to.equal(400);
      const blocked = await guess();
      expect(blocked.status).to.equal(429);
      expect(blocked.headers["retry-after"]).to.match(/^\d+$/);
    });

    it("a completed reset lifts the account's lockout", async () => {
      const t = await makeApp({ mailer: smtp.transport(), rateLimits: { loginAccount: { points: 6 } } }, trusted);
      const { email } = await register(t.app, "lifted@example.com");
      for (let i = 0; i < 6; i++) await loginFrom(t.app, `203.0.113.${60 + i}`, email, WRONG);
      expect((await loginFrom(t.app, "192.0.2.1", email, PASSWORD)).status).to.equal(429);
      const since = smtp.inbox.length;
      await request(t.app).post("/auth/forgot-password").send({ email });
      const token = linkIn(await smtp.waitFor(email, { since, subject: /Reset/ })).searchParams.get("token")!;
      expect((await request(t.app).post("/auth/reset-password").send({ token, password: "a fresh new passphrase" })).status).to.equal(204);
      expect((await loginFrom(t.app, "192.0.2.1", email, "a fresh new passphrase")).status).to.equal(200);
    });
  });

  it("rateLimits: false switches them off", async () => {
    const t = await makeApp({ rateLimits: false });
    const { email } = await register(t.app);
    for (let i = 0; i < 8; i++) expect((await request(t.app).post("/auth/login").send({ email, password: WRONG })).status).to.equal(401);
  });
});
