import { expect } from "chai";
import request from "supertest";
import { allKeys } from "../helpers/redis.js";
import { makeApp, register, PASSWORD, APP_URL, type TestApp } from "../helpers/app.js";
import { MODES, signIn, type Client } from "../helpers/client.js";
import { TestSmtp, linkIn, settle } from "../helpers/smtp.js";
import { freePort } from "../helpers/redis.js";

for (const mode of MODES) {
  describe(`[${mode}] email verification`, () => {
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

    it("sends a link on registration to the stored address; following it (GET) verifies the email", async () => {
      const t = await app();
      const res = await request(t.app).post("/auth/register").send({ email: `  Verify.Me.${mode.toUpperCase()}@Example.com`, password: PASSWORD });
      expect(res.status).to.equal(201);
      const mail = await smtp.waitFor(at("verify.me"), { subject: /Confirm your email/ });
      expect(mail.html).to.contain("Confirm my email");
      const link = linkIn(mail);
      expect(link.origin).to.equal(APP_URL);
      expect(link.pathname).to.equal("/auth/verify-email");
      const token = link.searchParams.get("token")!;
      expect(token.split(".")[1]).to.have.length(43); // 256 random bits, base64url
      const verified = await request(t.app).get(path(link)).set("Accept", "application/json");
      expect(verified.status).to.equal(200);
      expect(verified.headers["referrer-policy"]).to.equal("no-referrer");
      expect(verified.body.user.emailVerified).to.equal(true);
      const stored = await t.auth.users.findByEmail(at("verify.me"));
      expect(stored!.emailVerified).to.equal(true);
      expect(JSON.stringify(await allKeys(t.redis, `${t.prefix}*`))).to.not.contain(token.split(".")[1]);
    });

    it("POST /verify-email works too; a token is single use (second use 400 INVALID_TOKEN)", async () => {
      const t = await app();
      const { email } = await register(t.app, at("post-verify"));
      const token = linkIn(await smtp.waitFor(email)).searchParams.get("token")!;
      const first = await request(t.app).post("/auth/verify-email").send({ token });
      expect(first.status).to.equal(200);
      expect(first.body.user.emailVerified).to.equal(true);
      const second = await request(t.app).post("/auth/verify-email").send({ token });
      expect(second.status).to.equal(400);
      expect(second.body.code).to.equal("INVALID_TOKEN");
    });

    it("of 10 concurrent uses of one token exactly one succeeds", async () => {
      const t = await app();
      const { email } = await register(t.app, at("concurrent-verify"));
      const token = linkIn(await smtp.waitFor(email)).searchParams.get("token")!;
      const answers = await Promise.all(Array.from({ length: 10 }, () => request(t.app).post("/auth/verify-email").send({ token })));
      expect(answers.filter((r) => r.status === 200)).to.have.length(1);
      expect(answers.filter((r) => r.status === 400 && r.body.code === "INVALID_TOKEN")).to.have.length(9);
    });

    it("expires after 24 h (injected clock)", async () => {
      const t = await app();
      const { email } = await register(t.app, at("expiry-verify"));
      const token = linkIn(await smtp.waitFor(email)).searchParams.get("token")!;
      t.clock.advance(24 * 3600 + 1);
      expect((await request(t.app).post("/auth/verify-email").send({ token })).body.code).to.equal("INVALID_TOKEN");
    });

    it("a verify token dies when the email changes", async () => {
      const t = await app();
      const { email, user } = await register(t.app, at("before-change"));
      const token = linkIn(await smtp.waitFor(email)).searchParams.get("token")!;
      expect(await t.auth.users.changeEmail(user.id, at("after-change"), t.clock.now())).to.not.equal("email_taken");
      expect((await request(t.app).post("/auth/verify-email").send({ token })).body.code).to.equal("INVALID_TOKEN");
    });

    it("refuses garbage, forged and polluted tokens", async () => {
      const t = await app();
      const { user } = await register(t.app, at("garbage"));
      const forged = `${user.id}.${"A".repeat(43)}`;
      for (const token of ["x", "", forged, `${"a".repeat(300)}`, "../../etc.passwd"]) {
        const res = await request(t.app).post("/auth/verify-email").send({ token });
        expect([400, 422], token).to.include(res.status);
      }
      expect((await request(t.app).post("/auth/verify-email").send({ token: forged })).body.code).to.equal("INVALID_TOKEN");
      expect((await request(t.app).post("/auth/verify-email").send({ token: [forged] })).status).to.equal(422);
      const polluted = await request(t.app).get(`/auth/verify-email?token=${forged}&token=${forged}`).set("Accept", "application/json");
      expect(polluted.status).to.equal(400);
      expect(polluted.body.code).to.equal("INVALID_TOKEN");
    });

    it("POST /request-verify-email re-sends (202), kills the older link, and refuses verified users", async () => {
      const t = await app();
      const { email } = await register(t.app, at("resend"));
      const firstLink = linkIn(await smtp.waitFor(email));
      const c = await signIn(t.app, mode, email);
      const since = smtp.inbox.length;
      if (mode === "session") expect((await c.agent.post("/auth/request-verify-email")).status, "needs the CSRF token").to.equal(403);
      expect((await c.post("/auth/request-verify-email")).status).to.equal(202);
      const secondLink = linkIn(await smtp.waitFor(email, { since }));
      expect(secondLink.href).to.not.equal(firstLink.href);
      expect((await request(t.app).get(path(firstLink)).set("Accept", "application/json")).body.code).to.equal("INVALID_TOKEN");
      expect((await c.get("/auth/me")).body.user.emailVerified).to.equal(false);
      // Session: opened in the signed-in browser, the session's user is verified at once.
      // JWT: opened anywhere, every family's copy of the user is updated: the next /me shows it.
      expect((await open(t, c, secondLink)).status).to.equal(200);
      expect((await c.get("/auth/me")).body.user.emailVerified).to.equal(true);
      const again = await c.post("/auth/request-verify-email");
      expect(again.status).to.equal(400);
      expect(again.body.code).to.equal("EMAIL_ALREADY_VERIFIED");
      expect((await request(t.app).post("/auth/request-verify-email")).status).to.equal(401);
    });

    it("with a configured page, the confirmation form redirects there with the outcome, never the token; the GET changes nothing", async () => {
      const t = await app({ mail: { verifiedRedirect: "/welcome" } });
      const { email } = await register(t.app, at("redirect"));
      const link = linkIn(await smtp.waitFor(email));
      const page = await request(t.app).get(path(link));
      expect(page.status).to.equal(200);
      expect(page.headers["referrer-policy"]).to.equal("no-referrer");
      const form = () => request(t.app).post("/auth/verify-email").type("form").send({ token: link.searchParams.get("token") });
      const ok = await form();
      expect(ok.status).to.equal(303);
      expect(ok.headers.location).to.equal(`${APP_URL}/welcome?status=verified`);
      const bad = await form();
      expect(bad.status).to.equal(303);
      expect(bad.headers.location).to.equal(`${APP_URL}/welcome?status=invalid`);
    });

    it("builds links from appUrl, never from a forged Host or X-Forwarded-Host", async () => {
      const t = await app();
      t.app.set("trust proxy", true);
      await request(t.app)
        .post("/auth/register")
        .set("Host", "evil.test")
        .set("X-Forwarded-Host", "evil.test")
        .set("Forwarded", "host=evil.test")
        .send({ email: at("hostile"), password: PASSWORD });
      const mail = await smtp.waitFor(at("hostile"));
      expect(linkIn(mail).origin).to.equal(APP_URL);
      expect(mail.text + mail.html).to.not.contain("evil.test");
    });

    it("requireVerifiedEmail: 403 EMAIL_NOT_VERIFIED until verified; per-route override; /me still works", async () => {
      const t = await app({ requireVerifiedEmail: true });
      t.app.get("/api/lenient", t.auth.requireUser({ verifiedEmail: false }), (_req, res) => res.json({ ok: true }));
      const { email } = await register(t.app, at("strict"));
      const c = await signIn(t.app, mode, email);
      const denied = await c.get("/api/profile");
      expect(denied.status).to.equal(403);
      expect(denied.body.code).to.equal("EMAIL_NOT_VERIFIED");
      expect((await c.get("/api/lenient")).status).to.equal(200);
      expect((await c.get("/auth/me")).status).to.equal(200);
      expect((await open(t, c, linkIn(await smtp.waitFor(email)))).status).to.equal(200);
      expect((await c.get("/api/profile")).status).to.equal(200);
    });

    it("uses app templates with the locale hook", async () => {
      const t = await app({
        mail: {
          locale: () => "fr",
          templates: {
            verifyEmail: (ctx: { locale?: string; link?: string }) => ({ subject: `[${ctx.locale}] Confirmez`, text: `Lien : ${ctx.link}`, html: `<a href="${ctx.link}">ici</a>` }),
          },
        },
      });
      await register(t.app, at("template"));
      const mail = await smtp.waitFor(at("template"));
      expect(mail.subject).to.equal("[fr] Confirmez");
      expect(linkIn(mail).pathname).to.equal("/auth/verify-email");
    });

    it("a dead SMTP server does not lose the registration; the failure goes to the log and the hook", async () => {
      const nodemailer = (await import("nodemailer")).default;
      const errors: string[] = [];
      const hooked: string[] = [];
      const t = await makeApp({
        mode,
        mailer: nodemailer.createTransport({ host: "127.0.0.1", port: await freePort(), connectionTimeout: 1000 }),
        logger: { warn() {}, error: (m: string) => errors.push(m) },
        hooks: {
          onMailError: (_e: unknown, info: { template: string; to: string }) => {
            hooked.push(`${info.template} ${info.to}`);
          },
        },
      });
      const res = await request(t.app).post("/auth/register").send({ email: at("nosmtp"), password: PASSWORD });
      expect(res.status).to.equal(201);
      expect(await t.auth.users.findByEmail(at("nosmtp"))).to.not.equal(null);
      for (let i = 0; i < 40 && hooked.length === 0; i++) await settle(50);
      expect(hooked).to.deep.equal([`verifyEmail ${at("nosmtp")}`]);
      expect(errors.join()).to.contain("verifyEmail");
      expect((await request(t.app).post("/auth/login").send({ email: at("nosmtp"), password: PASSWORD })).status).to.equal(200);
    });
  });
}
