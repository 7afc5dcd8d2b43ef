import { expect } from "chai";
import { Argon2Hasher } from "../../lib/adapters/argon2-hasher.js";
import { MemoryRateLimiter } from "../../lib/adapters/memory-rate-limiter.js";
import type { LimitRefund } from "../../lib/ports/rate-limiter.js";
import { AuthError } from "../../lib/errors.js";
import type { SignInStep } from "../../lib/core/sign-in.js";
import type { UserRecord } from "../../lib/types.js";
import { registerLinks, buildCore, CTX, PASSWORD, rejection, tokenIn, type Core } from "../helpers/core.js";

const EMAIL = "ada@example.com";

/** A `start` that records whom it signed in and hands out a marker. */
function starter() {
  const started: UserRecord[] = [];
  const start = async (user: UserRecord) => {
    started.push(user);
    return { session: `s-${user.id}` };
  };
  return { started, start };
}

describe("SignIn", () => {
  let c: Core;
  beforeEach(() => {
    c = buildCore();
  });

  describe("register", () => {
    it("stores the normalized email, unverified, reports it and mails a verification link to the stored address", async () => {
      const { started, start } = starter();
      const { user: created, session } = await c.signIn.register({ email: "  Ada@Example.COM ", password: PASSWORD, name: "Ada" }, CTX, registerLinks, start);
      const user = created!;
      expect(user.email).to.equal(EMAIL);
      expect(user.emailVerified).to.equal(false);
      expect(session).to.deep.equal({ session: `s-${user.id}` });
      expect(started.map((u) => u.id)).to.deep.equal([user.id]);
      expect(c.firedNames()).to.deep.equal(["onRegister"]);
      expect(c.fired[0]!.event).to.include({ ip: CTX.ip, requestId: CTX.requestId });
      const mail = await c.mailer.next(EMAIL);
      await c.emailTokens.redeem(tokenIn(mail), "verify-email", CTX, { consume: false });
    });

    it("does not sign in without `start`", async () => {
      const { session } = await c.signIn.register({ email: EMAIL, password: PASSWORD, name: null }, CTX, registerLinks);
      expect(session).to.equal(undefined);
    });

    it("refuses a taken address (EMAIL_ALREADY_REGISTERED) and a weak password (VALIDATION_FAILED) before hashing it", async () => {
      await c.createUser(EMAIL);
      expect((await rejection(c.signIn.register({ email: "ADA@example.com", password: PASSWORD, name: null }, CTX, registerLinks))).code).to.equal("EMAIL_ALREADY_REGISTERED");
      const hashes = c.hasher.hashes;
      const weak = await rejection(c.signIn.register({ email: "new@example.com", password: "short", name: null }, CTX, registerLinks));
      expect(weak.code).to.equal("VALIDATION_FAILED");
      expect(weak.errors?.map((e) => e.code)).to.deep.equal(["TOO_SHORT"]);
      expect(c.hasher.hashes).to.equal(hashes);
      expect(await c.users.findByEmail("new@example.com")).to.equal(null);
    });
  });

  describe("login", () => {
    beforeEach(async () => {
      await c.createUser(EMAIL);
      await c.passwords.warmUp();
    });

    it("answers INVALID_CREDENTIALS for an unknown email and a wrong password alike, with exactly one hash verification each", async () => {
      const { started, start } = starter();
      for (const [email, password] of [
        ["nobody@example.com", PASSWORD],
        [EMAIL, "not the password at all"],
      ] as const) {
        const before = c.hasher.verifies;
        const err = await rejection(c.signIn.login(email, password, CTX, start));
        expect(err.code, email).to.equal("INVALID_CREDENTIALS");
        expect(c.hasher.verifies - before, email).to.equal(1);
      }
      expect(started).to.deep.equal([]);
    });

    it("reports a failed login with the normalized email, whether or not an account has it", async () => {
      const { start } = starter();
      await rejection(c.signIn.login("  ADA@Example.com", "wrong password here", CTX, start));
      await rejection(c.signIn.login("Nobody@Example.COM ", PASSWORD, CTX, start));
      expect(c.fired.map((f) => [f.name, f.event.email])).to.deep.equal([
        ["onLoginFailed", EMAIL],
        ["onLoginFailed", "nobody@example.com"],
      ]);
    });

    it("signs in with the right password: one verification, `start` called once, onLogin reported", async () => {
      const { started, start } = starter();
      const before = c.hasher.verifies;
      const result = await c.signIn.login(" Ada@Example.com", PASSWORD, CTX, start);
      expect(result.status).to.equal("signed-in");
      if (result.status !== "signed-in") return;
      expect(result.user.email).to.equal(EMAIL);
      expect(result.session).to.deep.equal({ session: `s-${result.user.id}` });
      expect(started).to.have.length(1);
      expect(c.hasher.verifies - before).to.equal(1);
      expect(c.firedNames()).to.deep.equal(["onLogin"]);
    });

    it("stops at a step that returns a challenge: `start` is not called and no login is reported until complete()", async () => {
      const { started, start } = starter();
      const seen: string[] = [];
      const step = (name: string, challenge: (user: UserRecord) => Record<string, unknown> | null): SignInStep => ({
        challenge: async (user) => {
          seen.push(`${name} ${user.email}`);
          return challenge(user);
        },
      });
      const passes = step("passes", () => null);
      const totp = step("totp", (user) => ({ mfa: "totp", userId: user.id }));
      const never = step("never", () => ({ other: true }));
      c = buildCore({ steps: [passes, totp, never] });
      const user = await c.createUser(EMAIL);
      const result = await c.signIn.login(EMAIL, PASSWORD, CTX, start);
      expect(result).to.deep.equal({ status: "pending", challenge: { mfa: "totp", userId: user.id } });
      expect(seen).to.deep.equal([`passes ${EMAIL}`, `totp ${EMAIL}`]);
      expect(started).to.deep.equal([]);
      expect(c.firedNames()).to.deep.equal([]);
      // The second factor checked out: complete() is the rest of the sign-in.
      expect(await c.signIn.complete(user, CTX, start)).to.deep.equal({ session: `s-${user.id}` });
      expect(started.map((u) => u.id)).to.deep.equal([user.id]);
      expect(c.firedNames()).to.deep.equal(["onLogin"]);
    });

    it("runs no step for a wrong password", async () => {
      let asked = 0;
      const totp: SignInStep = {
        challenge: async () => {
          asked++;
          return { mfa: "totp" };
        },
      };
      c = buildCore({ steps: [totp] });
      await c.createUser(EMAIL);
      expect((await rejection(c.signIn.login(EMAIL, "wrong password here", CTX, starter().start))).code).to.equal("INVALID_CREDENTIALS");
      expect(asked).to.equal(0);
    });

    it("stores an upgraded hash when the stored one was made with other parameters", async () => {
      const old = await new Argon2Hasher({ memoryCost: 1024, timeCost: 2, parallelism: 1 }).hash(PASSWORD);
      const stored = await c.users.create({ email: "old@example.com", name: null, passwordHash: old, emailVerified: true, createdAt: c.now() });
      expect(c.hasher.needsRehash(old)).to.equal(true);
      const result = await c.signIn.login("old@example.com", PASSWORD, CTX, starter().start);
      const upgraded = (await c.users.findById(stored!.id))!.passwordHash;
      expect(upgraded).to.not.equal(old);
      expect(upgraded).to.match(/t=1/);
      expect(c.hasher.needsRehash(upgraded)).to.equal(false);
      expect(result.status === "signed-in" && result.user.passwordHash).to.equal(upgraded);
      // ...and the password still signs in against the new hash.
      expect((await c.signIn.login("old@example.com", PASSWORD, CTX, starter().start)).status).to.equal("signed-in");
      expect((await c.users.findById(stored!.id))!.passwordHash).to.equal(upgraded);
    });

    it("locks the account for this client after 5 wrong passwords, the right one included, without verifying a hash", async () => {
      const { start } = starter();
      for (let i = 0; i < 5; i++) await rejection(c.signIn.login(EMAIL, `wrong password ${i}`, CTX, start));
      const before = c.hasher.verifies;
      const locked = await rejection(c.signIn.login(EMAIL, PASSWORD, CTX, start));
      expect(locked.code).to.equal("TOO_MANY_REQUESTS");
      expect(locked.retryAfter).to.be.greaterThan(0);
      expect(c.hasher.verifies).to.equal(before);
      expect(c.fired.filter((f) => f.name === "onLoginFailed")).to.have.length(5);
    });

    it("hands the attempt back while the session starts; a refund lost to a store fault signs in all the same, is reported, and stays counted", async () => {
      let starts = 0;
      const waiting: (() => void)[] = [];
      /** Counters whose hand-back fails, as a Redis blip would make it, once the session has started: a refund made to go first would wait for ever. */
      class RefundFails extends MemoryRateLimiter {
        override async refundAll(_refunds: readonly LimitRefund[]): Promise<void> {
          const seen = starts;
          await new Promise<void>((resume) => (starts > seen ? resume() : waiting.push(resume)));
          throw new Error("store cut");
        }
      }
      const f = buildCore({ limiter: new RefundFails() });
      await f.createUser(EMAIL);
      const started: UserRecord[] = [];
      const start = async (user: UserRecord) => {
        starts++;
        for (const resume of waiting.splice(0)) resume();
        started.push(user);
        return { session: `s-${user.id}` };
      };
      for (let i = 0; i < 5; i++) expect((await f.signIn.login(EMAIL, PASSWORD, CTX, start)).status).to.equal("signed-in");
      expect(started).to.have.length(5);
      expect(f.reports.map((r) => r.what)).to.deep.equal(Array(5).fill("handing back a login attempt"));
      // Five attempts kept: the sixth finds this client's lock, as after five wrong passwords.
      expect((await rejection(f.signIn.login(EMAIL, PASSWORD, CTX, start))).code).to.equal("TOO_MANY_REQUESTS");
    });

    it("fails the sign-in when the session cannot start, whatever the refund did", async () => {
      const broken = new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
      const err = await rejection(c.signIn.login(EMAIL, PASSWORD, CTX, async () => Promise.reject(broken)));
      expect(err).to.equal(broken);
      expect(c.fired.map((e) => e.name)).to.not.include("onLogin");
    });

    it("forgets this client's failures after a right password", async () => {
      const { start } = starter();
      for (let i = 0; i < 4; i++) await rejection(c.signIn.login(EMAIL, `wrong password ${i}`, CTX, start));
      await c.signIn.login(EMAIL, PASSWORD, CTX, start);
      for (let i = 0; i < 4; i++) expect((await rejection(c.signIn.login(EMAIL, `wrong password ${i}`, CTX, start))).code).to.equal("INVALID_CREDENTIALS");
    });
  });
});
