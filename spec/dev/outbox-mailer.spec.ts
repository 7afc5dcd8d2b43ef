import { expect } from "chai";
import request from "supertest";
import { devMailer } from "../../lib/index.js";
import { makeApp, register } from "../helpers/app.js";

describe("devMailer", () => {
  it("prints each email with its links and lists it on the outbox page, newest first", async () => {
    const printed: string[] = [];
    const outbox = devMailer({ print: (text) => printed.push(text) });
    const { app } = await makeApp({ mailer: outbox });
    app.get("/dev/outbox", outbox.page());
    const { email } = await register(app);
    await register(app, `second.${email}`);
    // Mail may leave after the answer: wait for both.
    for (let i = 0; i < 100 && outbox.list().length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const [newest, first] = outbox.list();
    expect(first?.to).to.equal(email);
    expect(newest?.to).to.equal(`second.${email}`);
    const link = first!.links.find((l) => l.includes("/auth/verify-email?token="));
    expect(link, first!.text).to.be.a("string");
    expect(printed.join("\n")).to.include(link);

    const page = await request(app).get("/dev/outbox");
    expect(page.status).to.equal(200);
    expect(page.headers["cache-control"]).to.equal("no-store");
    expect(page.headers["referrer-policy"]).to.equal("no-referrer");
    expect(page.text.indexOf(`second.${email}`)).to.be.lessThan(page.text.indexOf(`>${email}<`));
    expect(page.text).to.include(link!.replace(/&/g, "&amp;"));

    // The link works: following it as a JSON client verifies the address.
    const verified = await request(app).get(new URL(link!).pathname + new URL(link!).search).set("Accept", "application/json");
    expect(verified.status).to.equal(200);
    expect(verified.body.user.emailVerified).to.equal(true);
  });

  it("keeps only the newest `capacity` emails", async () => {
    const outbox = devMailer({ capacity: 2, print: () => {} });
    for (const to of ["a@example.com", "b@example.com", "c@example.com"]) await outbox.send({ to, subject: "s", text: "t", html: "h" });
    expect(outbox.list().map((m) => m.to)).to.deep.equal(["c@example.com", "b@example.com"]);
  });

  it("is refused with a TypeError when NODE_ENV=production, and for a bad capacity", () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      expect(() => devMailer()).to.throw(TypeError, /NODE_ENV=production/);
    } finally {
      if (before === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = before;
    }
    expect(() => devMailer({ capacity: 0 })).to.throw(TypeError, /capacity/);
  });
});
