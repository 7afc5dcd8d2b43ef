import { expect } from "chai";
import { DEFAULT_TEMPLATES, duration, type TemplateContext } from "../../lib/core/mail-templates.js";
import { Notifier } from "../../lib/core/notifier.js";

const ctx = (extra: Partial<TemplateContext> = {}): TemplateContext => ({
  user: { id: "u", email: "ada@example.com", name: '<script>alert("x")</script>', emailVerified: false, createdAt: "", updatedAt: "" },
  link: "https://app.test/auth/verify-email?token=a.b",
  appName: "App",
  appUrl: "https://app.test/",
  locale: undefined,
  expiresInMinutes: 1440,
  ...extra,
});

describe("email templates", () => {
  it("say how long a link lives in words", () => {
    expect(duration(1440)).to.equal("24 hours");
    expect(duration(60)).to.equal("1 hour");
    expect(duration(15)).to.equal("15 minutes");
    expect(duration(90)).to.equal("90 minutes");
    expect(DEFAULT_TEMPLATES.verifyEmail(ctx()).text).to.contain("valid for 24 hours");
    expect(DEFAULT_TEMPLATES.resetPassword(ctx({ expiresInMinutes: 60 })).text).to.contain("valid for 1 hour");
  });

  it("escape user input in HTML and keep it out of subjects", () => {
    for (const [name, template] of Object.entries(DEFAULT_TEMPLATES)) {
      const mail = template(ctx({ newEmail: "new@example.com" }));
      expect(mail.html, name).to.not.contain("<script>");
      expect(mail.subject, name).to.not.contain("script");
      expect(mail.subject, name).to.not.match(/[\r\n]/);
    }
  });

  it("a failing mailer or template is reported, never thrown", async () => {
    const reported: string[] = [];
    const notifier = new Notifier(
      { send: async () => Promise.reject(new Error("smtp down")) },
      { appName: "App", appUrl: "https://app.test/", templates: DEFAULT_TEMPLATES, locale: () => undefined, onError: (_e, info) => reported.push(info.template) },
    );
    expect(() => notifier.send("verifyEmail", "ada@example.com", { user: ctx().user, link: "x" })).to.not.throw();
    await notifier.idle();
    expect(reported).to.deep.equal(["verifyEmail"]);
  });
});
