import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import { MemoryTokenStore } from "../../lib/adapters/memory-token-store.js";
import { RedisTokenStore } from "../../lib/adapters/redis-token-store.js";
import type { TokenRecord, TokenStore } from "../../lib/ports/token-store.js";
import { tokenStoreConformance } from "../../lib/testing/index.js";
import { startCluster, type LocalCluster } from "../helpers/cluster.js";
import { FAIL_FAST, OwnRedis, allKeys, expectUnavailable, testRedis, type TestRedis } from "../helpers/redis.js";

const NOW = 1_700_000_000_000;
const rawToken = () => randomBytes(32).toString("base64url");
const hashOf = (token: string) => createHash("sha256").update(token).digest("base64url");
const record = (overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  purpose: "reset-password",
  userId: randomBytes(16).toString("base64url"),
  hash: hashOf(rawToken()),
  target: "ada@example.com",
  fingerprint: "fp-0123456789abcdef",
  expiresAt: NOW + 900_000,
  ...overrides,
});

tokenStoreConformance("MemoryTokenStore", () => new MemoryTokenStore());

describe("RedisTokenStore", () => {
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
    tokenStoreConformance("RedisTokenStore", () => new RedisTokenStore(client, { keyPrefix: prefix }));
  });

  describe("keys", () => {
    let prefix: string;
    let store: RedisTokenStore;
    beforeEach(() => {
      prefix = redis.prefix();
      store = new RedisTokenStore(client, { keyPrefix: prefix });
    });

    it("keeps one hash per user and purpose under the user's hash tag, expiring after ttlSeconds", async () => {
      const token = record({ purpose: "verify-email" });
      await store.put(token, 900);
      const key = `${prefix}{u:${token.userId}}:token:verify-email`;
      expect(store.key(token.userId, "verify-email")).to.equal(key);
      expect(await allKeys(client, `${prefix}*`)).to.deep.equal([key]);
      expect(await client.type(key)).to.equal("hash");
      const ttl = await client.ttl(key);
      expect(ttl).to.be.within(898, 900);
    });

    it("restarts the TTL when a token is replaced", async () => {
      const first = record();
      await store.put(first, 900);
      await store.put(record({ userId: first.userId }), 60);
      expect(await client.ttl(store.key(first.userId, first.purpose))).to.be.within(58, 60);
    });

    it("deletes the key on consume and on revoke", async () => {
      const a = record({ purpose: "verify-email" });
      const b = record({ userId: a.userId, purpose: "change-email" });
      await store.put(a, 900);
      await store.put(b, 900);
      expect(await store.consume(a.userId, a.purpose, a.hash, NOW)).to.deep.equal(a);
      expect(await client.exists(store.key(a.userId, a.purpose))).to.equal(0);
      await store.revoke(b.userId, ["verify-email", "change-email"]);
      expect(await allKeys(client, `${prefix}*`)).to.deep.equal([]);
    });

    it("stores the hash it is given, never the raw token", async () => {
      const raw = rawToken();
      const token = record({ hash: hashOf(raw) });
      await store.put(token, 900);
      const keys = await allKeys(client, `${prefix}*`);
      expect(keys).to.have.length(1);
      const stored = await client.hgetall(keys[0]!);
      expect(stored.hash).to.equal(token.hash);
      const everything = JSON.stringify({ keys, stored });
      expect(everything).to.not.include(raw);
      expect(everything).to.include(token.hash);
    });

    it("uses gh: as the default prefix", () => {
      expect(new RedisTokenStore(client).key("u1", "verify-email")).to.equal("gh:{u:u1}:token:verify-email");
    });
  });

  describe("when Redis is down", function () {
    this.timeout(30_000);
    let own: OwnRedis;
    let outageClient: Redis;
    let store: RedisTokenStore;
    let token: TokenRecord;

    beforeEach(async () => {
      own = await new OwnRedis().start();
      outageClient = new Redis(own.url, { ...FAIL_FAST, lazyConnect: true });
      outageClient.on("error", () => {});
      await outageClient.connect();
      store = new RedisTokenStore(outageClient, { timeoutMs: 500 });
      token = record();
      await store.put(token, 900);
    });
    afterEach(async () => {
      outageClient.disconnect();
      await own.stop();
    });

    const calls: [string, (s: TokenStore, t: TokenRecord) => Promise<unknown>][] = [
      ["put", (s, t) => s.put(record({ userId: t.userId }), 900)],
      ["find", (s, t) => s.find(t.userId, t.purpose, t.hash, NOW)],
      ["consume", (s, t) => s.consume(t.userId, t.purpose, t.hash, NOW)],
      ["revoke", (s, t) => s.revoke(t.userId, ["verify-email", "reset-password"])],
    ];

    it("rejects every method with SERVICE_UNAVAILABLE within 2 s when the server is stopped", async () => {
      await own.stop();
      for (const [name, call] of calls) await expectUnavailable(name, () => call(store, token));
    });
  });

  describe("on a Redis Cluster", function () {
    this.timeout(60_000);
    let cluster: LocalCluster | undefined;
    let clusterClient: Cluster;
    // The cluster is ours and thrown away afterwards: a fixed prefix is fine.
    const prefix = "ghtest:cluster:";

    before(async function () {
      cluster = await startCluster(3).catch(() => undefined);
      if (!cluster) return this.skip();
      clusterClient = new Cluster(cluster.ports.map((port) => ({ host: "127.0.0.1", port })));
      clusterClient.on("error", () => {});
      // Wait until the client knows the slot map, so no test pays for the discovery.
      await clusterClient.ping();
    });
    after(async () => {
      clusterClient?.disconnect();
      await cluster?.stop();
    });

    tokenStoreConformance("RedisTokenStore on a 3-node Cluster", () => new RedisTokenStore(clusterClient, { keyPrefix: prefix }));

    describe("after the conformance suite", () => {
      it("spread tokens over several nodes", async () => {
        const counts = await Promise.all(clusterClient.nodes("master").map(async (node) => (await allKeys(node, `${prefix}*:token:*`)).length));
        expect(counts.filter((n) => n > 0).length).to.be.greaterThan(1);
      });
    });
  });
});
