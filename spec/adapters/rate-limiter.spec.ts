import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import { MemoryRateLimiter } from "../../lib/adapters/memory-rate-limiter.js";
import { RedisRateLimiter } from "../../lib/adapters/redis-rate-limiter.js";
import type { Limit, RateLimiter } from "../../lib/ports/rate-limiter.js";
import { startCluster, type LocalCluster } from "../helpers/cluster.js";
import { FAIL_FAST, OwnRedis, allKeys, expectUnavailable, testRedis, type TestRedis } from "../helpers/redis.js";

const BLOCKING: Limit = { name: "loginAccountIp", points: 5, duration: 60, blockDuration: 120 };
const WINDOWED: Limit = { name: "registerIp", points: 3, duration: 600, blockDuration: 0 };
const TEN: Limit = { name: "tokenIp", points: 10, duration: 60, blockDuration: 0 };

const freshKey = () => `${randomBytes(6).toString("hex")}@example.com`;

/** The contract every RateLimiter keeps, run on each implementation and backend below. */
function rateLimiterContract(name: string, make: () => RateLimiter): void {
  describe(`RateLimiter contract: ${name}`, function () {
    this.timeout(20_000);
    let limiter: RateLimiter;
    let key: string;

    beforeEach(() => {
      limiter = make();
      key = freshKey();
    });

    it("reports an unseen key as not blocked, with every point left", async () => {
      expect(await limiter.check(BLOCKING, key)).to.deep.equal({ blocked: false, remaining: 5, retryAfter: 0 });
    });

    it("counts hits, and check reads the count without adding to it", async () => {
      const remaining: number[] = [];
      for (let i = 0; i < 3; i++) remaining.push((await limiter.hit(BLOCKING, key)).remaining);
      expect(remaining).to.deep.equal([4, 3, 2]);
      const state = await limiter.check(BLOCKING, key);
      expect(state).to.include({ blocked: false, remaining: 2 });
      expect(state.retryAfter).to.be.within(59, 60);
      expect((await limiter.check(BLOCKING, key)).remaining).to.equal(2);
    });

    it("counts several points in one hit", async () => {
      expect(await limiter.hit(BLOCKING, key, 4)).to.include({ blocked: false, remaining: 1 });
      expect((await limiter.hit(BLOCKING, key, 2)).blocked).to.equal(true);
    });

    it("refuses the hit past points and blocks the key for blockDuration", async () => {
      for (let i = 0; i < 5; i++) expect((await limiter.hit(BLOCKING, key)).blocked).to.equal(false);
      const refused = await limiter.hit(BLOCKING, key);
      expect(refused).to.include({ blocked: true, remaining: 0 });
      expect(refused.retryAfter).to.be.within(119, 120);
      const checked = await limiter.check(BLOCKING, key);
      expect(checked.blocked).to.equal(true);
      expect(checked.retryAfter).to.be.within(119, 120);
      expect((await limiter.hit(BLOCKING, key)).blocked).to.equal(true);
    });

    it("with blockDuration 0, blocks until the window ends", async () => {
      for (let i = 0; i < 3; i++) await limiter.hit(WINDOWED, key);
      const refused = await limiter.hit(WINDOWED, key);
      expect(refused.blocked).to.equal(true);
      expect(refused.retryAfter).to.be.within(599, 600);
    });

    it("refund hands points back", async () => {
      for (let i = 0; i < 5; i++) await limiter.hit(BLOCKING, key);
      await limiter.refund(BLOCKING, key);
      await limiter.refund(BLOCKING, key, 2);
      expect((await limiter.check(BLOCKING, key)).remaining).to.equal(3);
      expect((await limiter.hit(BLOCKING, key)).blocked).to.equal(false);
    });

    it("clear forgets the count and the block", async () => {
      for (let i = 0; i < 6; i++) await limiter.hit(BLOCKING, key);
      await limiter.clear(BLOCKING, key);
      expect(await limiter.check(BLOCKING, key)).to.deep.equal({ blocked: false, remaining: 5, retryAfter: 0 });
      expect(await limiter.hit(BLOCKING, key)).to.include({ blocked: false, remaining: 4 });
    });

    it("keeps keys and limits apart", async () => {
      for (let i = 0; i < 6; i++) await limiter.hit(BLOCKING, key);
      expect((await limiter.hit(BLOCKING, freshKey())).blocked).to.equal(false);
      expect((await limiter.hit({ ...BLOCKING, name: "loginIp" }, key)).blocked).to.equal(false);
      await limiter.clear({ ...BLOCKING, name: "loginIp" }, key);
      expect((await limiter.check(BLOCKING, key)).blocked).to.equal(true);
    });

    it("counts concurrent hits atomically: of 20 parallel hits with 10 points, exactly 10 pass", async () => {
      const states = await Promise.all(Array.from({ length: 20 }, () => limiter.hit(TEN, key)));
      expect(states.filter((s) => !s.blocked)).to.have.length(10);
      expect(states.filter((s) => s.blocked)).to.have.length(10);
      expect([...new Set(states.filter((s) => !s.blocked).map((s) => s.remaining))].sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it("hitAll counts an attempt in every counter when all allow it", async () => {
      const other = freshKey();
      const states = await limiter.hitAll([
        { limit: BLOCKING, key },
        { limit: WINDOWED, key: other },
      ]);
      expect(states.map((s) => [s.blocked, s.remaining])).to.deep.equal([
        [false, 4],
        [false, 2],
      ]);
      expect((await limiter.check(BLOCKING, key)).remaining).to.equal(4);
      expect((await limiter.check(WINDOWED, other)).remaining).to.equal(2);
    });

    it("hitAll counts a refused attempt only in the refusing counters, which block", async () => {
      const other = freshKey();
      for (let i = 0; i < 5; i++) await limiter.hit(BLOCKING, key);
      const states = await limiter.hitAll([
        { limit: WINDOWED, key: other },
        { limit: BLOCKING, key },
      ]);
      expect(states[0]).to.include({ blocked: false, remaining: 3 });
      expect(states[1]).to.include({ blocked: true, remaining: 0 });
      expect(states[1]!.retryAfter).to.be.within(119, 120);
      expect(await limiter.check(WINDOWED, other), "not counted").to.include({ blocked: false, remaining: 3 });
      expect((await limiter.check(BLOCKING, key)).blocked).to.equal(true);
    });

    it("hitAll refused by one counter writes nothing in the others: no count, no window started", async () => {
      const others = [freshKey(), freshKey()];
      for (let i = 0; i < 5; i++) await limiter.hit(BLOCKING, key);
      for (let i = 0; i < 3; i++) {
        const states = await limiter.hitAll([{ limit: WINDOWED, key: others[0]! }, { limit: BLOCKING, key }, { limit: TEN, key: others[1]! }]);
        expect(states.map((s) => s.blocked)).to.deep.equal([false, true, false]);
      }
      expect(await limiter.check(WINDOWED, others[0]!)).to.deep.equal({ blocked: false, remaining: 3, retryAfter: 0 });
      expect(await limiter.check(TEN, others[1]!)).to.deep.equal({ blocked: false, remaining: 10, retryAfter: 0 });
    });

    it("refundAll hands points back and clears, in one step", async () => {
      const other = freshKey();
      for (let i = 0; i < 3; i++) await limiter.hitAll([{ limit: BLOCKING, key }, { limit: WINDOWED, key: other }]);
      await limiter.refundAll([
        { limit: BLOCKING, key, clear: true },
        { limit: WINDOWED, key: other, points: 2 },
      ]);
      expect(await limiter.check(BLOCKING, key)).to.deep.equal({ blocked: false, remaining: 5, retryAfter: 0 });
      expect((await limiter.check(WINDOWED, other)).remaining).to.equal(2);
    });

    it("hitAll is atomic: of 20 parallel attempts on two counters with 10 points, exactly 10 pass and count in both", async () => {
      const other = freshKey();
      const states = await Promise.all(Array.from({ length: 20 }, () => limiter.hitAll([{ limit: TEN, key }, { limit: { ...TEN, name: "loginIp", points: 50 }, key: other }])));
      expect(states.filter((s) => !s[0]!.blocked)).to.have.length(10);
      expect((await limiter.check({ ...TEN, name: "loginIp", points: 50 }, other)).remaining).to.equal(40);
    });
  });
}

rateLimiterContract("MemoryRateLimiter", () => new MemoryRateLimiter());

describe("RedisRateLimiter", () => {
  let redis: TestRedis;
  let client: Redis;

  before(async () => {
    redis = await testRedis();
    client = redis.client();
  });
  after(() => redis.cleanup());

  describe("on one server", () => {
    let prefix: string;
    before(() => {
      prefix = redis.prefix();
    });
    rateLimiterContract("RedisRateLimiter", () => new RedisRateLimiter(client, { keyPrefix: prefix }));
  });

  describe("keys", () => {
    let prefix: string;
    let limiter: RedisRateLimiter;
    beforeEach(() => {
      prefix = redis.prefix();
      limiter = new RedisRateLimiter(client, { keyPrefix: prefix });
    });

    it("keeps one expiring key per limit and key, named by the key's hash, never by an email", async () => {
      const email = freshKey();
      await limiter.hit(BLOCKING, `203.0.113.7|${email}`);
      const keys = await allKeys(client, `${prefix}*`);
      expect(keys).to.have.length(1);
      expect(keys[0]).to.match(new RegExp(`^${prefix}rl:loginAccountIp:[A-Za-z0-9_-]{43}$`));
      expect(keys[0]).to.not.include(email.split("@")[0]!);
      expect(keys[0]).to.not.include("203.0.113.7");
      expect(await client.ttl(keys[0]!)).to.be.within(59, 60);
    });

    it("extends the key's life to the block when a hit is refused", async () => {
      const key = freshKey();
      for (let i = 0; i < 6; i++) await limiter.hit(BLOCKING, key);
      const [stored] = await allKeys(client, `${prefix}*`);
      expect(await client.ttl(stored!)).to.be.within(119, 120);
    });

    it("is shared by every app instance (two limiters on two connections)", async () => {
      const other = new RedisRateLimiter(redis.client(), { keyPrefix: prefix });
      const key = freshKey();
      for (let i = 0; i < 3; i++) await limiter.hit(BLOCKING, key);
      for (let i = 0; i < 2; i++) expect((await other.hit(BLOCKING, key)).blocked).to.equal(false);
      expect((await limiter.hit(BLOCKING, key)).blocked).to.equal(true);
      expect((await other.check(BLOCKING, key)).blocked).to.equal(true);
      await other.clear(BLOCKING, key);
      expect((await limiter.check(BLOCKING, key)).blocked).to.equal(false);
    });

    it("shares counts across instances under concurrency: 20 hits on two instances, exactly 10 pass", async () => {
      const other = new RedisRateLimiter(redis.client(), { keyPrefix: prefix });
      const key = freshKey();
      const states = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? limiter : other).hit(TEN, key)));
      expect(states.filter((s) => !s.blocked)).to.have.length(10);
    });

    it("lifts a block when its time is up", async function () {
      this.timeout(5000);
      const quick: Limit = { name: "registerIp", points: 1, duration: 1, blockDuration: 1 };
      const key = freshKey();
      await limiter.hit(quick, key);
      expect(await limiter.hit(quick, key)).to.deep.equal({ blocked: true, remaining: 0, retryAfter: 1 });
      // Redis expires the key on its own clock: nothing to inject.
      await new Promise((r) => setTimeout(r, 1100));
      expect((await limiter.hit(quick, key)).blocked).to.equal(false);
    });

    it("fails closed on a counter that is not a number", async () => {
      const key = freshKey();
      await client.set(`${prefix}rl:loginAccountIp:${createHash("sha256").update(key).digest("base64url")}`, "garbage", "EX", 60);
      await expectUnavailable("hit", () => limiter.hit(BLOCKING, key));
      await expectUnavailable("check", () => limiter.check(BLOCKING, key));
    });

    it("uses gh: as the default prefix", async () => {
      const key = freshKey();
      const limit: Limit = { name: "verifyEmailIp", points: 1, duration: 5, blockDuration: 0 };
      await new RedisRateLimiter(client).hit(limit, key);
      const stored = `gh:rl:verifyEmailIp:${createHash("sha256").update(key).digest("base64url")}`;
      expect(await client.exists(stored)).to.equal(1);
      await client.del(stored);
    });
  });

  describe("when Redis is down (fail closed)", function () {
    this.timeout(30_000);
    let own: OwnRedis;
    let outageClient: Redis;
    let limiter: RedisRateLimiter;
    const key = freshKey();

    beforeEach(async () => {
      own = await new OwnRedis().start();
      outageClient = new Redis(own.url, { ...FAIL_FAST, lazyConnect: true });
      outageClient.on("error", () => {});
      await outageClient.connect();
      limiter = new RedisRateLimiter(outageClient, { timeoutMs: 500 });
      // Every limiter is created and its script defined while Redis is up.
      for (let i = 0; i < 6; i++) await limiter.hit(BLOCKING, key);
    });
    afterEach(async () => {
      outageClient.disconnect();
      await own.stop();
    });

    const calls: [string, (l: RateLimiter) => Promise<unknown>][] = [
      ["hit", (l) => l.hit(BLOCKING, key)],
      ["hit (fresh key)", (l) => l.hit(BLOCKING, freshKey())],
      ["refund", (l) => l.refund(BLOCKING, key)],
      ["check", (l) => l.check(BLOCKING, key)],
      ["clear", (l) => l.clear(BLOCKING, key)],
      ["hit (limit not used before)", (l) => l.hit(WINDOWED, key)],
    ];

    it("rejects every method with SERVICE_UNAVAILABLE within 2 s when the server is stopped", async () => {
      await own.stop();
      for (const [name, call] of calls) await expectUnavailable(name, () => call(limiter));
    });

    it("rejects every method with SERVICE_UNAVAILABLE within 2 s when the server does not answer", async () => {
      await own.pause(5000);
      for (const [name, call] of calls) await expectUnavailable(name, () => call(limiter));
    });
  });

  describe("on a Redis Cluster", function () {
    this.timeout(60_000);
    let cluster: LocalCluster | undefined;
    let clusterClient: Cluster;
    const prefix = "ghtest:cluster:";

    before(async function () {
      cluster = await startCluster(3).catch(() => undefined);
      if (!cluster) return this.skip();
      clusterClient = new Cluster(cluster.ports.map((port) => ({ host: "127.0.0.1", port })));
      clusterClient.on("error", () => {});
      await clusterClient.ping();
    });
    after(async () => {
      clusterClient?.disconnect();
      await cluster?.stop();
    });

    rateLimiterContract("RedisRateLimiter on a 3-node Cluster", () => new RedisRateLimiter(clusterClient, { keyPrefix: prefix }));

    describe("after the contract suite", () => {
      it("spread counters over several nodes", async () => {
        const counts = await Promise.all(clusterClient.nodes("master").map(async (node) => (await allKeys(node, `${prefix}rl:*`)).length));
        expect(counts.filter((n) => n > 0).length).to.be.greaterThan(1);
      });
    });
  });
});
