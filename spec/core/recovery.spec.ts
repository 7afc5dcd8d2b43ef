import { expect } from "chai";
import { MemoryTokenStore } from "../../lib/adapters/memory-token-store.js";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import type { UserRecord } from "../../lib/types.js";
import { buildCore, counting, CTX, link, NEW_PASSWORD, PASSWORD, rejection, tokenIn, type Core } from "../helpers/core.js";

const EMAIL = "ada@example.com";
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Recovery", () => {
  let c: Core;
  let user: UserRecord;
  beforeEach(async () => {
    c = buildCore();
    user = await c.createUser(EMAIL);
  });

  /** Asks for a reset and reads the token from the mail the user gets. */
  async function resetToken(email = EMAIL): Promise<string> {
    const since = c.mailer.sent.length;
    await c.recovery.forgot(email, link, CTX);
    return tokenIn(await c.mailer.next(user.email, { subject: /reset/i, since }));
  }

  describe("forgot", () => {
    it("does the same store reads for a known and an unknown email", async () => {
      const users = counting(new MemoryUserStore());
      c = buildCore({ users: users.port });
      await c.createUser(EMAIL);
      delete users.calls.create;
      await c.recovery.forgot(EMAIL, link, CTX);
      const known = { ...users.calls };
      for (const k of Object.keys(users.calls)) delete users.calls[k];
      await c.recovery.forgot("nobody@example.com", link, CTX);
      // One lookup by address, whatever the answer: the shipped stores read the same for both (spec/http/store-reads.spec.ts).
      expect(known).to.deep.equal({ findByEmail: 1 });
      expect(users.calls).to.deep.equal(known);
    });

    it("mails the stored address, however the request typed it, and nothing for an unknown email", async () => {
      await c.recovery.forgot("nobody@example.com", link, CTX);
      await c.recovery.forgot("  ADA@Example.com ", link, CTX);
      const mail = await c.mailer.next(EMAIL);
      // The unknown email's work (if any) was queued first: once the known one's mail is out, it would be too.
      await c.notifier.idle();
      expect(c.mailer.sent.map((m) => m.to)).to.deep.equal([EMAIL]);
      expect(mail.subject).to.match(/reset/i);
      expect(mail.text).to.contain("valid for 1 hour");
    });

    it("answers before the token is issued, and a failure to issue it is reported, not thrown", async () => {
      class HangingTokens extends MemoryTokenStore {
        override put(): Promise<void> {
          return new Promise(() => {});
        }
      }
      c = buildCore({ tokens: new HangingTokens() });
      await c.createUser(EMAIL);
      await c.recovery.forgot(EMAIL, link, CTX);

      class FailingTokens extends MemoryTokenStore {
        override put(): Promise<void> {
          return Promise.reject(new Error("token store down"));
        }
      }
      c = buildCore({ tokens: new FailingTokens() });
      await c.createUser(EMAIL);
      await c.recovery.forgot(EMAIL, link, CTX);
      await drain();
      expect(c.reports.map((r) => r.what)).to.deep.equal(["issuing a password reset"]);
      await c.notifier.idle();
      expect(c.mailer.sent).to.deep.equal([]);
    });

    it("is limited per email, known or not (3 an hour)", async () => {
      for (const email of [EMAIL, "nobody@example.com"]) {
        for (let i = 0; i < 3; i++) await c.recovery.forgot(email, link, { ...CTX, ip: `192.0.2.${i}` });
        expect((await rejection(c.recovery.forgot(email, link, { ...CTX, ip: "192.0.2.99" }))).code, email).to.equal("TOO_MANY_REQUESTS");
      }
    });
  });

  describe("reset", () => {
    it("sets the password, ends every session, kills a pending email change, notifies and reports", async () => {
      const change = await c.emailTokens.issue(user, "change-email", "new@example.com", 3600);
      const token = await resetToken();
      await c.recovery.validate(token, CTX);
      const updated = await c.recovery.reset(token, NEW_PASSWORD, CTX);
      expect(updated.passwordHash).to.not.equal(user.passwordHash);
      expect((await c.passwords.verify(updated.passwordHash, NEW_PASSWORD)).ok).to.equal(true);
      expect(c.revoker.calls).to.deep.equal([{ userId: user.id, keep: undefined }]);
      expect((await rejection(c.emailTokens.redeem(change, "change-email", CTX, { consume: false }))).code).to.equal("INVALID_TOKEN");
      await c.notifier.idle();
      expect(c.mailer.sent.map((m) => m.subject).at(-1)).to.match(/password/i);
      expect(c.mailer.sent.at(-1)!.to).to.equal(EMAIL);
      expect(c.firedNames()).to.deep.equal(["onPasswordReset"]);
      expect((await rejection(c.recovery.reset(token, `${NEW_PASSWORD} again`, CTX))).code, "single use").to.equal("INVALID_TOKEN");
    });

    it("checks the policy first: a weak password burns neither the token nor hashing time", async () => {
      const token = await resetToken();
      const hashes = c.hasher.hashes;
      const err = await rejection(c.recovery.reset(token, "short", CTX));
      expect(err.code).to.equal("VALIDATION_FAILED");
      expect(c.hasher.hashes).to.equal(hashes);
      await c.recovery.validate(token, CTX);
      await c.recovery.reset(token, NEW_PASSWORD, CTX);
    });

    it("hashes nothing for a guessed token", async () => {
      await resetToken();
      const hashes = c.hasher.hashes;
      expect((await rejection(c.recovery.reset(`${user.id}.${"A".repeat(43)}`, NEW_PASSWORD, CTX))).code).to.equal("INVALID_TOKEN");
      expect(c.hasher.hashes).to.equal(hashes);
    });

    it("validate consumes nothing and refuses what reset would refuse", async () => {
      const token = await resetToken();
      await c.recovery.validate(token, CTX);
      await c.recovery.validate(token, CTX);
      c.clock.advance(3601);
      expect((await rejection(c.recovery.validate(token, CTX))).code).to.equal("INVALID_TOKEN");
      expect((await rejection(c.recovery.reset(token, NEW_PASSWORD, CTX))).code).to.equal("INVALID_TOKEN");
    });

    it("lifts the lockout the old password collected", async () => {
      const start = async () => "session";
      for (let i = 0; i < 5; i++) await rejection(c.signIn.login(EMAIL, `wrong password ${i}`, CTX, start));
      expect((await rejection(c.signIn.login(EMAIL, PASSWORD, CTX, start))).code).to.equal("TOO_MANY_REQUESTS");
      await c.recovery.reset(await resetToken(), NEW_PASSWORD, CTX);
      expect((await c.signIn.login(EMAIL, NEW_PASSWORD, CTX, start)).status).to.equal("signed-in");
    });
  });
});
