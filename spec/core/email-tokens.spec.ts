import { expect } from "chai";
import { MemoryTokenStore } from "../../lib/adapters/memory-token-store.js";
import { sha256 } from "../../lib/core/email-tokens.js";
import type { TokenPurpose, TokenRecord } from "../../lib/ports/token-store.js";
import type { UserRecord } from "../../lib/types.js";
import { buildCore, counting, CTX, NEW_PASSWORD, rejection, type Core } from "../helpers/core.js";

const EMAIL = "ada@example.com";
const TTL = 3600;

describe("EmailTokens", () => {
  let c: Core;
  let user: UserRecord;
  beforeEach(async () => {
    c = buildCore();
    user = await c.createUser(EMAIL);
  });

  const redeem = (token: string, purpose: TokenPurpose, consume = true) => c.emailTokens.redeem(token, purpose, CTX, { consume });
  const newPassword = async () => c.users.update(user.id, { passwordHash: await c.passwords.hash(NEW_PASSWORD), updatedAt: c.now() });

  it("keeps only the SHA-256 of the token, and the token names its user", async () => {
    const puts: TokenRecord[] = [];
    class RecordingTokenStore extends MemoryTokenStore {
      override async put(record: TokenRecord): Promise<void> {
        puts.push(record);
        await super.put(record);
      }
    }
    c = buildCore({ tokens: new RecordingTokenStore() });
    user = await c.createUser(EMAIL);
    const token = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
    const secret = token.split(".")[1]!;
    expect(token.startsWith(`${user.id}.`)).to.equal(true);
    expect(secret).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(puts)).to.not.contain(secret);
    expect(puts[0]).to.include({ purpose: "verify-email", userId: user.id, target: EMAIL, expiresAt: c.now() + TTL * 1000 });
  });

  it("is single use: of 10 concurrent consumes exactly one gets the user", async () => {
    const token = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => redeem(token, "verify-email")));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).to.have.length(1);
    expect(won[0]!.status === "fulfilled" && won[0]!.value.user.id).to.equal(user.id);
    for (const r of results.filter((r) => r.status === "rejected")) expect((r.reason as { code: string }).code).to.equal("INVALID_TOKEN");
    expect((await rejection(redeem(token, "verify-email"))).code).to.equal("INVALID_TOKEN");
  });

  it("checks without consuming when asked to", async () => {
    const token = await c.emailTokens.issue(user, "reset-password", EMAIL, TTL);
    await redeem(token, "reset-password", false);
    await redeem(token, "reset-password", false);
    await redeem(token, "reset-password");
  });

  it("refuses a malformed token without asking the store, another purpose, an expired token and a replaced one", async () => {
    const counted = counting(new MemoryTokenStore());
    c = buildCore({ tokens: counted.port });
    user = await c.createUser(EMAIL);
    for (const bad of ["", "nodot", `${user.id}.short`, `${user.id}.${"a".repeat(43)}.x`, `bad id!.${"a".repeat(43)}`]) {
      expect((await rejection(redeem(bad, "verify-email"))).code, bad).to.equal("INVALID_TOKEN");
    }
    expect(counted.calls).to.deep.equal({});

    const token = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
    expect((await rejection(redeem(token, "reset-password"))).code).to.equal("INVALID_TOKEN");
    c.clock.advance(TTL + 1);
    expect((await rejection(redeem(token, "verify-email"))).code).to.equal("INVALID_TOKEN");

    const first = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
    const second = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
    expect((await rejection(redeem(first, "verify-email"))).code, "one live token per purpose").to.equal("INVALID_TOKEN");
    await redeem(second, "verify-email");
  });

  it("is still good one second before it expires", async () => {
    const token = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
    c.clock.advance(TTL - 1);
    await redeem(token, "verify-email");
  });

  it("dies with its owner", async () => {
    const token = await c.emailTokens.issue(user, "reset-password", EMAIL, TTL);
    await c.users.delete(user.id);
    expect((await rejection(redeem(token, "reset-password"))).code).to.equal("INVALID_TOKEN");
  });

  describe("binding rules, per purpose", () => {
    it("verify-email dies when the email changes, and survives a password change", async () => {
      const kept = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
      await newPassword();
      await redeem(kept, "verify-email", false);
      await c.users.changeEmail(user.id, "new@example.com", c.now());
      expect((await rejection(redeem(kept, "verify-email"))).code).to.equal("INVALID_TOKEN");
    });

    it("reset-password dies when the password changes", async () => {
      const token = await c.emailTokens.issue(user, "reset-password", EMAIL, TTL);
      await newPassword();
      expect((await rejection(redeem(token, "reset-password"))).code).to.equal("INVALID_TOKEN");
    });

    it("reset-password dies when the email changes", async () => {
      const token = await c.emailTokens.issue(user, "reset-password", EMAIL, TTL);
      await c.users.changeEmail(user.id, "new@example.com", c.now());
      expect((await rejection(redeem(token, "reset-password"))).code).to.equal("INVALID_TOKEN");
    });

    it("change-email dies with the password it was confirmed with", async () => {
      const token = await c.emailTokens.issue(user, "change-email", "new@example.com", TTL);
      await redeem(token, "change-email", false);
      await newPassword();
      expect((await rejection(redeem(token, "change-email"))).code).to.equal("INVALID_TOKEN");
    });
  });

  describe("prepare", () => {
    it("runs once the token proved good and before it is consumed", async () => {
      const token = await c.emailTokens.issue(user, "reset-password", EMAIL, TTL);
      let liveDuringPrepare: TokenRecord | null = null;
      const { prepared } = await c.emailTokens.redeem(token, "reset-password", CTX, {
        consume: true,
        prepare: async () => {
          liveDuringPrepare = await c.tokens.find(user.id, "reset-password", sha256(token), c.now());
          return "hashed";
        },
      });
      expect(prepared).to.equal("hashed");
      expect(liveDuringPrepare, "the token was still there while preparing").to.not.equal(null);
      expect((await rejection(redeem(token, "reset-password"))).code, "consumed after").to.equal("INVALID_TOKEN");
    });

    it("does not run for a bad token (a guess buys no hashing)", async () => {
      await c.emailTokens.issue(user, "reset-password", EMAIL, TTL);
      let ran = 0;
      const guess = `${user.id}.${"A".repeat(43)}`;
      const err = await rejection(c.emailTokens.redeem(guess, "reset-password", CTX, { consume: true, prepare: async () => ran++ }));
      expect(err.code).to.equal("INVALID_TOKEN");
      expect(ran).to.equal(0);
    });

    it("that fails does not burn the token", async () => {
      const token = await c.emailTokens.issue(user, "reset-password", EMAIL, TTL);
      const boom = new Error("hasher down");
      let caught: unknown;
      try {
        await c.emailTokens.redeem(token, "reset-password", CTX, { consume: true, prepare: () => Promise.reject(boom) });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.equal(boom);
      const { user: owner } = await redeem(token, "reset-password");
      expect(owner.id).to.equal(user.id);
    });
  });

  describe("the token-use limit", () => {
    beforeEach(async () => {
      c = buildCore({ limits: { tokenIp: { points: 3 } } });
      user = await c.createUser(EMAIL);
    });

    it("charges every failed use and refuses the client past the budget, a good token included", async () => {
      const good = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
      for (let i = 0; i < 3; i++) expect((await rejection(redeem(`${user.id}.${String(i).repeat(43)}`, "verify-email"))).code).to.equal("INVALID_TOKEN");
      expect((await rejection(redeem(good, "verify-email"))).code).to.equal("TOO_MANY_REQUESTS");
      // Another client still gets through.
      await c.emailTokens.redeem(good, "verify-email", { ...CTX, ip: "198.51.100.9" }, { consume: true });
    });

    it("refunds the charge of a good token", async () => {
      const good = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
      for (let i = 0; i < 10; i++) await redeem(good, "verify-email", false);
      // Two failures, a good use (charged, then refunded), one more failure: the budget of 3 is spent only now.
      await rejection(redeem("x", "verify-email"));
      await rejection(redeem("y", "verify-email"));
      await redeem(good, "verify-email", false);
      expect((await rejection(redeem("z", "verify-email"))).code).to.equal("INVALID_TOKEN");
      expect((await rejection(redeem(good, "verify-email"))).code).to.equal("TOO_MANY_REQUESTS");
    });
  });

  it("revokes only the purposes named", async () => {
    const verify = await c.emailTokens.issue(user, "verify-email", EMAIL, TTL);
    const reset = await c.emailTokens.issue(user, "reset-password", EMAIL, TTL);
    await c.emailTokens.revoke(user.id, ["reset-password"]);
    expect((await rejection(redeem(reset, "reset-password"))).code).to.equal("INVALID_TOKEN");
    await redeem(verify, "verify-email");
  });
});
