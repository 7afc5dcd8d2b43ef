import { expect } from "chai";
import { sha256 } from "../../lib/core/email-tokens.js";
import { Argon2Hasher } from "../../lib/adapters/argon2-hasher.js";
import type { TokenPurpose } from "../../lib/ports/token-store.js";
import type { UserRecord } from "../../lib/types.js";
import { buildCore, CTX, link, NEW_PASSWORD, PASSWORD, rejection, tokenIn, type Core } from "../helpers/core.js";

const EMAIL = "ada@example.com";
const PURPOSES: TokenPurpose[] = ["verify-email", "reset-password", "change-email"];

describe("Account", () => {
  let c: Core;
  let user: UserRecord;
  beforeEach(async () => {
    c = buildCore();
    user = await c.createUser(EMAIL);
  });

  /** Issues a token of every purpose; `live()` says which are still in the store. */
  async function tokensOf(u: UserRecord) {
    const issued = await Promise.all(PURPOSES.map(async (p) => [p, await c.emailTokens.issue(u, p, p === "change-email" ? "other@example.com" : u.email, 3600)] as const));
    return async () => {
      const live: TokenPurpose[] = [];
      for (const [p, token] of issued) if (await c.tokens.find(u.id, p, sha256(token), c.now())) live.push(p);
      return live;
    };
  }

  describe("changePassword", () => {
    const rotate = async (u: UserRecord) => ({ rotatedFor: u.passwordHash });

    it("stores the new password, ends every other session, kills reset and email-change links, notifies and reports", async () => {
      const live = await tokensOf(user);
      const answer = await c.account.changePassword(user.id, { current: PASSWORD, next: NEW_PASSWORD }, { session: "this-session" }, CTX, rotate);
      const stored = (await c.users.findById(user.id))!;
      expect(answer).to.deep.equal({ rotatedFor: stored.passwordHash });
      expect((await c.passwords.verify(stored.passwordHash, NEW_PASSWORD)).ok).to.equal(true);
      expect(c.revoker.calls).to.deep.equal([{ userId: user.id, keep: { session: "this-session" } }]);
      expect(await live()).to.deep.equal(["verify-email"]);
      await c.notifier.idle();
      expect(c.mailer.sent.map((m) => m.to)).to.deep.equal([EMAIL]);
      expect(c.mailer.sent[0]!.text).to.not.contain(NEW_PASSWORD);
      expect(c.firedNames()).to.deep.equal(["onPasswordChanged"]);
    });

    it("checks the policy before the password, and the current password before changing anything", async () => {
      const verifies = c.hasher.verifies;
      expect((await rejection(c.account.changePassword(user.id, { current: PASSWORD, next: "short" }, undefined, CTX, rotate))).errors?.[0]?.field).to.equal("newPassword");
      expect(c.hasher.verifies).to.equal(verifies);
      expect((await rejection(c.account.changePassword(user.id, { current: "not my password", next: NEW_PASSWORD }, undefined, CTX, rotate))).code).to.equal("INVALID_PASSWORD");
      expect((await c.users.findById(user.id))!.passwordHash).to.equal(user.passwordHash);
      expect(c.revoker.calls).to.deep.equal([]);
      expect(c.fired).to.deep.equal([]);
    });

    it("counts a wrong current password like a failed login (a stolen session cannot brute-force it)", async () => {
      for (let i = 0; i < 5; i++) await rejection(c.account.changePassword(user.id, { current: `guess number ${i}`, next: NEW_PASSWORD }, undefined, CTX, rotate));
      expect((await rejection(c.account.changePassword(user.id, { current: PASSWORD, next: NEW_PASSWORD }, undefined, CTX, rotate))).code).to.equal("TOO_MANY_REQUESTS");
      expect((await rejection(c.signIn.login(EMAIL, PASSWORD, CTX, async () => "s"))).code).to.equal("TOO_MANY_REQUESTS");
    });

    it("answers UNAUTHENTICATED for a user that is gone", async () => {
      await c.users.delete(user.id);
      expect((await rejection(c.account.changePassword(user.id, { current: PASSWORD, next: NEW_PASSWORD }, undefined, CTX, rotate))).code).to.equal("UNAUTHENTICATED");
    });
  });

  describe("email change", () => {
    const refreshed: UserRecord[] = [];
    const refresh = async (u: UserRecord) => void refreshed.push(u);
    beforeEach(() => void refreshed.splice(0));

    async function requestChange(u: UserRecord, newEmail: string): Promise<string> {
      const since = c.mailer.sent.length;
      await c.account.requestEmailChange(u.id, PASSWORD, newEmail, link, CTX);
      return tokenIn(await c.mailer.next(newEmail.trim().toLowerCase(), { since }));
    }

    it("re-authentication upgrades a hash made with older parameters, as a login does", async () => {
      const weaker = new Argon2Hasher({ memoryCost: 512, timeCost: 1, parallelism: 1 });
      const old = (await c.users.update(user.id, { passwordHash: await weaker.hash(PASSWORD), updatedAt: c.now() }))!;
      await c.account.requestEmailChange(old.id, PASSWORD, "elsewhere@example.com", link, CTX);
      const stored = (await c.users.findById(user.id))!;
      expect(stored.passwordHash).to.not.equal(old.passwordHash);
      expect(c.hasher.needsRehash(stored.passwordHash)).to.equal(false);
    });

    it("mails a link to the new (normalized) address and a notice to the old; the link moves and verifies the address", async () => {
      const token = await requestChange(user, " New@Example.com");
      await c.notifier.idle();
      expect(c.mailer.sent.map((m) => m.to)).to.have.members(["new@example.com", EMAIL]);
      const verifyLink = await c.emailTokens.issue((await c.users.findById(user.id))!, "verify-email", EMAIL, 3600);
      const changed = await c.account.confirmEmailChange(token, CTX, refresh);
      expect(changed).to.include({ email: "new@example.com", emailVerified: true });
      expect(refreshed.map((u) => u.email)).to.deep.equal(["new@example.com"]);
      expect(c.fired.map((f) => [f.name, f.event.oldEmail])).to.deep.equal([["onEmailChanged", EMAIL]]);
      expect(await c.users.findByEmail(EMAIL), "the old address is free").to.equal(null);
      expect(await c.tokens.find(user.id, "verify-email", sha256(verifyLink), c.now()), "a verify link of the old address is gone").to.equal(null);
      expect((await rejection(c.account.confirmEmailChange(token, CTX, refresh))).code, "single use").to.equal("INVALID_TOKEN");
    });

    it("sends no link to a taken address, only the notice to the old one", async () => {
      await c.createUser("taken@example.com");
      await c.account.requestEmailChange(user.id, PASSWORD, "taken@example.com", link, CTX);
      await c.notifier.idle();
      expect(c.mailer.sent.map((m) => m.to)).to.deep.equal([EMAIL]);
    });

    it("does nothing for the current address, and a newer request replaces a pending one", async () => {
      const first = await requestChange(user, "first@example.com");
      await c.account.requestEmailChange(user.id, PASSWORD, "ADA@example.com", link, CTX);
      expect((await rejection(c.account.confirmEmailChange(first, CTX, refresh))).code, "replaced by the request for the current address").to.equal("INVALID_TOKEN");
      const second = await requestChange(user, "second@example.com");
      await c.account.confirmEmailChange(second, CTX, refresh);
      expect((await c.users.findById(user.id))!.email).to.equal("second@example.com");
    });

    it("needs the password", async () => {
      expect((await rejection(c.account.requestEmailChange(user.id, "not my password", "new@example.com", link, CTX))).code).to.equal("INVALID_PASSWORD");
      await c.notifier.idle();
      expect(c.mailer.sent).to.deep.equal([]);
    });

    it("of two users confirming the same address at once, exactly one gets it", async () => {
      const other = await c.createUser("grace@example.com");
      const mine = await requestChange(user, "wanted@example.com");
      const theirs = await requestChange(other, "wanted@example.com");
      const results = await Promise.allSettled([c.account.confirmEmailChange(mine, CTX, refresh), c.account.confirmEmailChange(theirs, CTX, refresh)]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      expect(won).to.have.length(1);
      expect(lost.map((r) => (r.reason as { code: string }).code)).to.deep.equal(["EMAIL_ALREADY_REGISTERED"]);
      const owner = await c.users.findByEmail("wanted@example.com");
      expect(owner!.id).to.equal(won[0]!.status === "fulfilled" && won[0]!.value.id);
      const emails = [(await c.users.findById(user.id))!.email, (await c.users.findById(other.id))!.email];
      expect(emails.filter((e) => e === "wanted@example.com")).to.have.length(1);
    });

    it("a link dies when the password changes", async () => {
      const token = await requestChange(user, "new@example.com");
      await c.account.changePassword(user.id, { current: PASSWORD, next: NEW_PASSWORD }, undefined, CTX, async () => undefined);
      expect((await rejection(c.account.confirmEmailChange(token, CTX, refresh))).code).to.equal("INVALID_TOKEN");
    });
  });

  describe("delete", () => {
    it("removes the tokens and the user, ends every session, signs this request out and reports it", async () => {
      const live = await tokensOf(user);
      let ended = 0;
      await c.account.delete(user.id, PASSWORD, CTX, async () => void ended++);
      expect(await live()).to.deep.equal([]);
      expect(await c.users.findById(user.id)).to.equal(null);
      expect(await c.users.findByEmail(EMAIL)).to.equal(null);
      expect(c.revoker.calls).to.deep.equal([{ userId: user.id, keep: undefined }]);
      expect(ended).to.equal(1);
      expect(c.firedNames()).to.deep.equal(["onAccountDeleted"]);
      await c.createUser(EMAIL);
    });

    it("needs the password, and a second delete answers as signed out", async () => {
      const end = async () => {};
      expect((await rejection(c.account.delete(user.id, "not my password", CTX, end))).code).to.equal("INVALID_PASSWORD");
      expect(await c.users.findById(user.id)).to.not.equal(null);
      const [a, b] = await Promise.allSettled([c.account.delete(user.id, PASSWORD, CTX, end), c.account.delete(user.id, PASSWORD, CTX, end)]);
      expect([a.status, b.status].sort()).to.deep.equal(["fulfilled", "rejected"]);
      const lost = (a.status === "rejected" ? a : b) as PromiseRejectedResult;
      expect((lost.reason as { code: string }).code).to.equal("UNAUTHENTICATED");
      expect(c.fired.filter((f) => f.name === "onAccountDeleted")).to.have.length(1);
    });
  });
});
