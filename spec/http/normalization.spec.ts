import { expect } from "chai";
import request from "supertest";
import { makeApp, PASSWORD } from "../helpers/app.js";
import { MODES } from "../helpers/client.js";
import { TestSmtp } from "../helpers/smtp.js";

for (const mode of MODES) {
  describe(`[${mode}] normalization done once, and right`, () => {
    const smtp = new TestSmtp();
    before(() => smtp.start());
    after(() => smtp.stop());

    it('"T̈om@…" registers and signs in; "ẗom@…" is the same account, not a second one', async () => {
      const t = await makeApp({ mode });
      const typed = `T\u0308om.${mode}@Example.com`;
      expect((await request(t.app).post("/auth/register").send({ email: typed, password: PASSWORD })).status).to.equal(201);
      expect((await request(t.app).post("/auth/login").send({ email: typed, password: PASSWORD })).status, "signs in as typed").to.equal(200);
      const composed = `\u1e97om.${mode}@example.com`;
      expect((await request(t.app).post("/auth/login").send({ email: composed, password: PASSWORD })).status, "and as composed").to.equal(200);
      const second = await request(t.app).post("/auth/register").send({ email: composed, password: PASSWORD });
      expect(second.status).to.equal(400);
      expect(second.body.code).to.equal("EMAIL_ALREADY_REGISTERED");
      const stored = await t.auth.users.findByEmail(composed);
      expect(stored!.email).to.equal(stored!.email.normalize("NFC"));
    });

    it("invisible characters in an address are refused with a field code (422)", async () => {
      const t = await makeApp({ mode });
      for (const c of ["\u200b", "\u200d", "\u202e", "\u2066", "\u00ad", "\ufeff"]) {
        const res = await request(t.app).post("/auth/register").send({ email: `ali${c}ce.${mode}@example.com`, password: PASSWORD });
        expect(res.status, c.codePointAt(0)!.toString(16)).to.equal(422);
        expect(res.body.errors[0]).to.include({ field: "email", code: "INVALID_CHARACTERS" });
      }
    });

    it("a full-width common password is refused, as the hash would take its NFKC form", async () => {
      const t = await makeApp({ mode });
      const res = await request(t.app).post("/auth/register").send({ email: `fw.${mode}@example.com`, password: "ｐａｓｓｗｏｒｄ１２３" });
      expect(res.status).to.equal(422);
      expect(res.body.errors[0]).to.include({ field: "password", code: "PASSWORD_TOO_COMMON" });
      const short = await request(t.app).post("/auth/register").send({ email: `fw.${mode}@example.com`, password: "e\u0301e\u0301e\u0301e\u0301" });
      expect(short.body.errors[0]).to.include({ field: "password", code: "TOO_SHORT" });
    });

    it("a name with a URL, a domain, or bidi controls is refused", async () => {
      const t = await makeApp({ mode });
      for (const name of ["Visit https://evil.example", "www.evil.example", "Support at evil.com", "bob@evil.com", "Bob \u202eevil", "Al\u200bice"]) {
        const res = await request(t.app).post("/auth/register").send({ email: `n${Math.random().toString(36).slice(2)}.${mode}@example.com`, password: PASSWORD, name });
        expect(res.status, name).to.equal(422);
        expect(res.body.errors[0].field).to.equal("name");
      }
      for (const name of ["Zoë O'Brien-Smith", "J. R. R. Tolkien", "李小龙"]) {
        const res = await request(t.app).post("/auth/register").send({ email: `n${Math.random().toString(36).slice(2)}.${mode}@example.com`, password: PASSWORD, name });
        expect(res.status, name).to.equal(201);
      }
    });

    it("the verification mail does not greet by a name the person typed before proving the address", async () => {
      const t = await makeApp({ mode, mailer: smtp.transport() });
      const email = `greet.${mode}@example.com`;
      await request(t.app).post("/auth/register").send({ email, password: PASSWORD, name: "Call Support Now" });
      const mail = await smtp.waitFor(email, { subject: /Confirm your email/ });
      expect(mail.text).to.not.contain("Call Support Now");
      expect(mail.text).to.match(/^Hello,/);
    });
  });
}
