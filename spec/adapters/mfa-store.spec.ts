import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { MemoryMfaStore } from "../../lib/adapters/memory-mfa-store.js";
import { RedisMfaStore } from "../../lib/adapters/redis-mfa-store.js";
import type { MfaStore, PendingChallenge } from "../../lib/ports/mfa-store.js";
import { allKeys, testRedis, type TestRedis } from "../helpers/redis.js";

const NOW = 1_700_000_000_000;
const uid = () => randomBytes(16).toString("base64url");
const challenge = (over: Partial<PendingChallenge> = {}): PendingChallenge => ({ client: "c", pwd: "p", expiresAt: NOW + 300_000, attemptsLeft: 5, ...over });

/** What every MfaStore keeps: atomic single use of steps, codes and pending sign-in steps. */
function conformance(name: string, make: () => MfaStore) {
  describe(`${name} (MfaStore)`, () => {
    async function enabled(store: MfaStore, codes = ["h1", "h2"]) {
      const id = uid();
      await store.putSetup(id, "sealed", 600);
      expect(await store.enable(id, "sealed", 10, codes, NOW)).to.equal(true);
      return id;
    }

    it("enables only the secret still being enrolled, once", async () => {
      const store = make();
      const id = uid();
      expect(await store.enable(id, "sealed", 1, [], NOW), "no setup").to.equal(false);
      await store.putSetup(id, "old", 600);
      await store.putSetup(id, "new", 600);
      expect(await store.enable(id, "old", 1, [], NOW), "replaced").to.equal(false);
      expect(await store.enable(id, "new", 1, ["a"], NOW)).to.equal(true);
      expect(await store.enable(id, "new", 1, ["a"], NOW), "already on").to.equal(false);
      expect(await store.get(id)).to.deep.include({ sealedSecret: "new", lastStep: 1, recoveryCodesLeft: 1 });
      expect(await store.getSetup(id)).to.equal(null);
    });

    it("uses a time step once and never an earlier one; a recovery code once, also concurrently", async () => {
      const store = make();
      const id = await enabled(store);
      expect(await store.useStep(id, 10)).to.equal(false);
      const both = await Promise.all([store.useStep(id, 11), store.useStep(id, 11)]);
      expect(both.filter(Boolean)).to.have.length(1);
      expect(await store.useStep(id, 10)).to.equal(false);
      const codes = await Promise.all([store.useRecoveryCode(id, "h1"), store.useRecoveryCode(id, "h1")]);
      expect(codes.filter((c) => c !== null)).to.deep.equal([1]);
      expect(await store.replaceRecoveryCodes(id, ["x", "y", "z"])).to.equal(true);
      expect(await store.useRecoveryCode(id, "h2"), "the old set is dead").to.equal(null);
      expect(await store.useRecoveryCode(id, "x")).to.equal(2);
    });

    it("settles a pending step once: concurrent completions, wrong codes, expiry, the cap", async () => {
      const store = make();
      const id = await enabled(store);
      await store.createChallenge(id, "c1", challenge(), NOW, 10);
      const results = await Promise.all([store.completeWithStep(id, "c1", 11, NOW), store.completeWithStep(id, "c1", 12, NOW)]);
      expect(results.map((r) => r.status).sort()).to.deep.equal(["gone", "ok"]);
      await store.createChallenge(id, "c2", challenge({ attemptsLeft: 2 }), NOW, 10);
      expect(await store.completeWithStep(id, "c2", 11, NOW), "a replayed step is a wrong code").to.deep.equal({ status: "wrong", attemptsLeft: 1 });
      expect(await store.failChallenge(id, "c2", NOW)).to.deep.equal({ status: "wrong", attemptsLeft: 0 });
      expect(await store.findChallenge(id, "c2", NOW)).to.equal(null);
      await store.createChallenge(id, "c3", challenge(), NOW, 10);
      expect(await store.completeWithRecoveryCode(id, "c3", "nope", NOW)).to.deep.equal({ status: "wrong", attemptsLeft: 4 });
      expect(await store.completeWithRecoveryCode(id, "c3", "h1", NOW)).to.deep.equal({ status: "ok", recoveryCodesLeft: 1 });
      await store.createChallenge(id, "c4", challenge(), NOW, 10);
      expect(await store.findChallenge(id, "c4", NOW + 300_000), "expired").to.equal(null);
      for (let i = 0; i < 4; i++) await store.createChallenge(id, `k${i}`, challenge({ expiresAt: NOW + 60_000 + i }), NOW, 3);
      expect(await store.findChallenge(id, "k0", NOW), "the oldest beyond the cap ends").to.equal(null);
      expect(await store.findChallenge(id, "k3", NOW)).to.not.equal(null);
      await store.disable(id);
      expect(await store.get(id)).to.equal(null);
      expect(await store.findChallenge(id, "k3", NOW), "pending steps end with the factor").to.equal(null);
    });
  });
}

conformance("MemoryMfaStore", () => new MemoryMfaStore());

describe("RedisMfaStore", () => {
  let redis: TestRedis;
  const stores: { prefix: string; store: RedisMfaStore }[] = [];
  before(async () => {
    redis = await testRedis();
  });
  after(() => redis.cleanup());
  conformance("RedisMfaStore", () => {
    const prefix = redis.prefix();
    const store = new RedisMfaStore(redis.client(), { keyPrefix: prefix });
    stores.push({ prefix, store });
    return store;
  });
  it("keeps every key of a user in the user's hash slot, and deleteAll leaves none", async () => {
    const prefix = redis.prefix();
    const store = new RedisMfaStore(redis.client(), { keyPrefix: prefix });
    const id = uid();
    await store.putSetup(id, "s", 600);
    await store.enable(id, "s", 1, ["a"], NOW);
    await store.putSetup(id, "s2", 600);
    await store.createChallenge(id, "c", challenge({ expiresAt: Date.now() + 60_000 }), Date.now(), 10);
    const keys = await allKeys(redis.client(), `${prefix}*`);
    expect(keys.length).to.equal(4);
    for (const k of keys) expect(k.startsWith(`${prefix}{u:${id}}:mfa`), k).to.equal(true);
    await store.deleteAll(id);
    expect(await allKeys(redis.client(), `${prefix}*`)).to.deep.equal([]);
  });
});
