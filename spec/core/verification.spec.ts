import { expect } from "chai";
import { MemoryTokenStore } from "../../lib/adapters/memory-token-store.js";
import { DEFAULT_TEMPLATES } from "../../lib/core/mail-templates.js";
import { Notifier } from "../../lib/core/notifier.js";
import { EmailVerification } from "../../lib/core/verification.js";
import type { UserRecord } from "../../lib/types.js";
import { buildCore, counting, CTX, link, rejection, tokenIn, type Core } from "../helpers/core.js";

const EMAIL = "ada@example.com";
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("EmailVerification", () => {
  let c: Core;
  let user: UserRecord;
  let refreshed: UserRecord[];
  const refresh = async (u: UserRecord) => void refreshed.push(u);
  beforeEach(async () => {
    c = buildCore();
    user = await c.createUser(EMAIL, undefined, false);
    refreshed = [];
  });

  async function linkToken(): Promise<string> {
    const since = c.mailer.sent.length;
    c.verification.sendInBackground(user, link);
    return tokenIn(await c.mailer.next(EMAIL, { since }));
  }

  it("mails a link to the stored address that verifies it once, refreshing the request's copy and reporting it", async () => {
    const token = await linkToken();
    expect(c.mailer.sent[0]!.text).to.contain("valid for 24 hours");
    const verified = await c.verification.verify(token, CTX, refresh);
    expect(verified.emailVerified).to.equal(true);
    expect((await c.users.findById(user.id))!.emailVerified).to.equal(true);
    expect(refreshed.map((u) => u.emailVerified)).to.deep.equal([true]);
    expect(c.firedNames()).to.deep.equal(["onEmailVerified"]);
    expect((await rejection(c.verification.verify(token, CTX, refresh))).code).to.equal("INVALID_TOKEN");
  });

  it("answers a link for an address verified meanwhile with the user, changing and reporting nothing", async () => {
    const token = await linkToken();
    await c.users.update(user.id, { emailVerified: true, updatedAt: c.now() });
    expect((await c.verification.verify(token, CTX, refresh)).emailVerified).to.equal(true);
    expect(refreshed).to.deep.equal([]);
    expect(c.fired).to.deep.equal([]);
  });

  it("a link dies when the address changes before it is used", async () => {
    const token = await linkToken();
    await c.users.changeEmail(user.id, "new@example.com", c.now());
    expect((await rejection(c.verification.verify(token, CTX, refresh))).code).to.equal("INVALID_TOKEN");
    expect((await c.users.findById(user.id))!.emailVerified).to.equal(false);
  });

  describe("resend", () => {
    it("sends a new link that replaces the older one", async () => {
      const first = await linkToken();
      const since = c.mailer.sent.length;
      await c.verification.resend(user.id, link, CTX);
      const second = tokenIn(await c.mailer.next(EMAIL, { since }));
      expect((await rejection(c.verification.verify(first, CTX, refresh))).code).to.equal("INVALID_TOKEN");
      await c.verification.verify(second, CTX, refresh);
    });

    it("refuses a verified address, a missing user, and a fourth request within the hour", async () => {
      const verified = await c.createUser("done@example.com");
      expect((await rejection(c.verification.resend(verified.id, link, CTX))).code).to.equal("EMAIL_ALREADY_VERIFIED");
      expect((await rejection(c.verification.resend("nobody", link, CTX))).code).to.equal("UNAUTHENTICATED");
      for (let i = 0; i < 3; i++) await c.verification.resend(user.id, link, CTX);
      expect((await rejection(c.verification.resend(user.id, link, { ...CTX, ip: "198.51.100.1" }))).code).to.equal("TOO_MANY_REQUESTS");
      await c.notifier.idle();
      expect(c.mailer.to(EMAIL)).to.have.length(3);
      expect(c.mailer.to("done@example.com")).to.have.length(0);
    });
  });

  it("without a mailer issues no token at all", async () => {
    const tokens = counting(new MemoryTokenStore());
    c = buildCore({ tokens: tokens.port });
    user = await c.createUser(EMAIL, undefined, false);
    const silent = new Notifier(undefined, { appName: "App", appUrl: "http://app.test/", templates: DEFAULT_TEMPLATES, locale: () => undefined, onError: () => {} });
    const verification = new EmailVerification({ users: c.users, emailTokens: c.emailTokens, credentials: c.credentials, notifier: silent, events: c.events, serialize: c.serialize, now: c.now, ttl: 60, limits: undefined, report: () => {} });
    verification.sendInBackground(user, link);
    await drain();
    expect(tokens.calls).to.deep.equal({});
    // A resend has nothing to send either: no token, and the user's resend budget is kept.
    await verification.resend(user.id, link, CTX);
    expect(tokens.calls).to.deep.equal({});
  });

  it("reports a link it could not issue in the background", async () => {
    class FailingTokens extends MemoryTokenStore {
      override put(): Promise<void> {
        return Promise.reject(new Error("token store down"));
      }
    }
    c = buildCore({ tokens: new FailingTokens() });
    user = await c.createUser(EMAIL, undefined, false);
    c.verification.sendInBackground(user, link);
    await drain();
    expect(c.reports.map((r) => r.what)).to.deep.equal(["sending the verification email"]);
  });
});
