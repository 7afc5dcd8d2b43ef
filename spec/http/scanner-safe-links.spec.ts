import { expect } from "chai";
import request from "supertest";
import { makeApp, register, PASSWORD, ORIGIN, type TestApp } from "../helpers/app.js";
import { MODES, signIn } from "../helpers/client.js";
import { TestSmtp, linkIn } from "../helpers/smtp.js";
import { EXPRESS_MAJOR } from "../helpers/express.js";

/** What a corporate mail gateway sends when it fetches a link before the person clicks it. */
const BROWSER_LIKE = {
  Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
  "Accept-Language": "en-US,en;q=0.9",
};

for (const mode of MODES) {
  describe(`[${mode}] emailed links a mail scanner cannot use up`, () => {
    const smtp = new TestSmtp();
    before(() => smtp.start());
    after(() => smtp.stop());

    const app = (extra = {}) => makeApp({ mode, mailer: smtp.transport(), ...extra });
    const at = (local: string) => `${local}.${mode}.scan@example.com`;
    const path = (url: URL) => `${url.pathname}${url.search}`;

    async function verifyLink(t: TestApp, email: string): Promise<URL> {
      const since = smtp.inbox.length;
      await register(t.app, email);
      return linkIn(await smtp.waitFor(email, { subject: /Confirm your email/, since }));
    }

    /** Every fetch a scanner makes: HEAD, a bare GET, a browser-like GET. */
    async function scan(t: TestApp, link: URL): Promise<void> {
      const head = await request(t.app).head(path(link));
      expect(head.status, "HEAD").to.equal(200);
      expect(head.headers["content-type"]).to.match(/^text\/html/);
      const bare = await request(t.app).get(path(link));
      expect(bare.status, "bare GET").to.equal(200);
      expect(bare.headers["content-type"]).to.match(/^text\/html/);
      const browser = await request(t.app).get(path(link)).set(BROWSER_LIKE);
      expect(browser.status, "browser-like GET").to.equal(200);
      expect(browser.headers["content-type"]).to.match(/^text\/html/);
      // Wildcards and HTML next to JSON are browsers too.
      expect((await request(t.app).get(path(link)).set("Accept", "application/json, text/html")).headers["content-type"]).to.match(/^text\/html/);
      expect((await request(t.app).get(path(link)).set("Accept", "*/*")).headers["content-type"]).to.match(/^text\/html/);
    }

    it("HEAD and browser-like GETs of the verification link change nothing; the token still works by POST", async () => {
      const t = await app();
      const email = at("verify");
      const link = await verifyLink(t, email);
      await scan(t, link);
      expect((await t.auth.users.findByEmail(email))!.emailVerified, "not verified by a scanner").to.equal(false);
      const done = await request(t.app).post("/auth/verify-email").send({ token: link.searchParams.get("token") });
      expect(done.status).to.equal(200);
      expect(done.body.user.emailVerified).to.equal(true);
    });

    it("the confirmation page is self-contained, accessible, strict, and its one button posts the token", async () => {
      const t = await app();
      const link = await verifyLink(t, at("page"));
      const res = await request(t.app).get(path(link)).set(BROWSER_LIKE);
      const csp = String(res.headers["content-security-policy"]);
      expect(csp).to.contain("default-src 'none'");
      expect(csp).to.contain("form-action 'self'");
      expect(res.headers["referrer-policy"]).to.equal("no-referrer");
      expect(res.headers["cache-control"]).to.contain("no-store");
      const html = res.text;
      expect(html).to.match(/<html lang="en-US">/);
      expect(html).to.contain("<title>Confirm your email address</title>");
      expect(html).to.contain("<h1>Confirm your email address</h1>");
      expect(html).to.not.match(/<script|src=|<link|https?:\/\/(?!app\.test)/);
      const forms = html.match(/<form /g) ?? [];
      expect(forms).to.have.length(1);
      expect(html).to.contain('method="post" action="/auth/verify-email"');
      expect(html).to.contain(`name="token" value="${link.searchParams.get("token")}"`);
      expect(html).to.match(/<button type="submit">Confirm my email address<\/button>/);
    });

    it("a JSON-only GET (an API client) keeps today's behaviour: verifies and answers the user", async () => {
      const t = await app();
      const link = await verifyLink(t, at("json"));
      const res = await request(t.app).get(path(link)).set("Accept", "application/json");
      expect(res.status).to.equal(200);
      expect(res.body.user.emailVerified).to.equal(true);
      expect((await request(t.app).get(path(link)).set("Accept", "application/json")).body.code, "single use").to.equal("INVALID_TOKEN");
    });

    it("the page's form post verifies and answers an HTML result page; a second post says the link is used", async () => {
      const t = await app();
      const email = at("form");
      const link = await verifyLink(t, email);
      const token = link.searchParams.get("token")!;
      const res = await request(t.app).post("/auth/verify-email").set("Origin", ORIGIN).type("form").send({ token });
      expect(res.status).to.equal(200);
      expect(res.headers["content-type"]).to.match(/^text\/html/);
      expect(res.text).to.contain("Email address confirmed");
      expect((await t.auth.users.findByEmail(email))!.emailVerified).to.equal(true);
      const again = await request(t.app).post("/auth/verify-email").set("Origin", ORIGIN).type("form").send({ token });
      expect(again.status).to.equal(400);
      expect(again.text).to.contain("This link does not work");
    });

    it("a form post from another origin is refused (CSRF rules still apply)", async () => {
      const t = await app();
      const email = at("cross");
      const link = await verifyLink(t, email);
      const res = await request(t.app).post("/auth/verify-email").set("Origin", "https://evil.test").type("form").send({ token: link.searchParams.get("token") });
      if (mode === "session") {
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal("CSRF_INVALID");
        expect((await t.auth.users.findByEmail(email))!.emailVerified).to.equal(false);
      } else {
        // No cookies in JWT mode: nothing rides along to forge with; the token alone decides.
        expect(res.status).to.equal(200);
      }
    });

    it("a browser's form post from the no-referrer page (Origin: null, Sec-Fetch-Site: same-origin) is accepted; Origin: null alone is not", async () => {
      const t = await app();
      const email = at("opaque");
      const link = await verifyLink(t, email);
      const token = link.searchParams.get("token");
      if (mode === "session") {
        const bare = await request(t.app).post("/auth/verify-email").set("Origin", "null").type("form").send({ token });
        expect(bare.status).to.equal(403);
        const cross = await request(t.app).post("/auth/verify-email").set("Origin", "null").set("Sec-Fetch-Site", "cross-site").type("form").send({ token });
        expect(cross.status).to.equal(403);
      }
      const res = await request(t.app).post("/auth/verify-email").set("Origin", "null").set("Sec-Fetch-Site", "same-origin").type("form").send({ token });
      expect(res.status).to.equal(200);
      expect((await t.auth.users.findByEmail(email))!.emailVerified).to.equal(true);
    });

    it("a form post from a signed-in browser needs no X-CSRF-Token (the emailed token is the proof)", async () => {
      const t = await app();
      const email = at("signed-in");
      const link = await verifyLink(t, email);
      const c = await signIn(t.app, mode, email);
      const res = await c.agent.post("/auth/verify-email").set("Origin", ORIGIN).type("form").send({ token: link.searchParams.get("token") });
      expect(res.status).to.equal(200);
      expect((await c.get("/auth/me")).body.user.emailVerified).to.equal(true);
    });

    it("with mail.verifiedRedirect, the form post redirects there with the outcome, never the token", async () => {
      const t = await app({ mail: { verifiedRedirect: "/welcome" } });
      const link = await verifyLink(t, at("redirect"));
      const token = link.searchParams.get("token")!;
      const page = await request(t.app).get(path(link)).set(BROWSER_LIKE);
      expect(page.status, "the page still comes first").to.equal(200);
      const res = await request(t.app).post("/auth/verify-email").set("Origin", ORIGIN).type("form").send({ token });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal("http://app.test/welcome?status=verified");
      const again = await request(t.app).post("/auth/verify-email").set("Origin", ORIGIN).type("form").send({ token });
      expect(again.headers.location).to.equal("http://app.test/welcome?status=invalid");
    });

    it("page texts are localizable (mail.pages, with the request's Accept-Language)", async () => {
      const t = await app({
        mail: {
          pages: {
            confirmEmail: (ctx: { locale: string | undefined }) =>
              ctx.locale?.startsWith("de") ? { title: "E-Mail-Adresse bestätigen", message: "Bitte bestätigen <Sie>.", button: "Bestätigen" } : { title: "Confirm", message: "Please confirm.", button: "Confirm" },
          },
        },
      });
      const link = await verifyLink(t, at("locale"));
      const res = await request(t.app).get(path(link)).set("Accept-Language", "de-CH,de;q=0.9");
      expect(res.text).to.contain('<html lang="de-CH">');
      expect(res.text).to.contain("<h1>E-Mail-Adresse bestätigen</h1>");
      expect(res.text).to.contain("Bitte bestätigen &lt;Sie&gt;.");
    });

    it("HEAD and browser-like GETs of the email-change link change nothing; the token still works by POST (form)", async () => {
      const t = await app();
      const email = at("owner");
      await register(t.app, email);
      const c = await signIn(t.app, mode, email);
      const since = smtp.inbox.length;
      const newEmail = at("victim");
      expect((await c.post("/auth/account/change-email").send({ newEmail, password: PASSWORD })).status).to.equal(202);
      const link = linkIn(await smtp.waitFor(newEmail, { subject: /Confirm your new email/, since }));
      await scan(t, link);
      const page = await request(t.app).get(path(link)).set(BROWSER_LIKE);
      expect(page.text).to.contain("Confirm your new email address");
      expect(page.text).to.contain('action="/auth/account/confirm-email-change"');
      expect(await t.auth.users.findByEmail(newEmail), "the account did not move").to.equal(null);
      expect((await t.auth.users.findByEmail(email))!.emailVerified).to.equal(false);
      const res = await request(t.app).post("/auth/account/confirm-email-change").set("Origin", ORIGIN).type("form").send({ token: link.searchParams.get("token") });
      expect(res.status).to.equal(200);
      expect(res.text).to.contain("Email address changed");
      expect((await t.auth.users.findByEmail(newEmail))!.emailVerified).to.equal(true);
    });

    it("links and the OpenAPI server use the mount path as configured, not the request's casing", async function () {
      // Express 4's router keeps no text of the mounted path (README, "Emails"): links take the request's spelling there.
      if (EXPRESS_MAJOR === 4) this.skip();
      const t = await app();
      const email = at("casing");
      const since = smtp.inbox.length;
      expect((await request(t.app).post("/AUTH/register").send({ email, password: PASSWORD })).status).to.equal(201);
      const link = linkIn(await smtp.waitFor(email, { since }));
      expect(link.pathname).to.equal("/auth/verify-email");
      const page = await request(t.app).get(`/AUTH/verify-email${link.search}`);
      expect(page.text).to.contain('action="/auth/verify-email"');
      const doc = await request(t.app).get("/Auth/openapi.json");
      expect(doc.body.servers[0].url).to.equal("http://app.test/auth");
    });
  });
}
