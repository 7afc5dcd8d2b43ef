import { expect } from "chai";
import { createHash } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { RedisUserStore } from "../../lib/adapters/redis-user-store.js";
import type { RedisClient } from "../../lib/adapters/redis-call.js";
import type { UserStore } from "../../lib/ports/user-store.js";
import type { NewUser } from "../../lib/types.js";
import { userStoreConformance } from "../../lib/testing/index.js";
import { startCluster, type LocalCluster } from "../helpers/cluster.js";
import { FAIL_FAST, OwnRedis, allKeys, expectUnavailable, testRedis, type TestRedis } from "../helpers/redis.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
let counter = 0;
const email = () => `spec-${Date.now()}-${++counter}@example.com`;
const newUser = (overrides: Partial<NewUser> = {}): NewUser => ({
  email: email(),
  name: null,
  passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
  emailVerified: false,
  createdAt: 1_700_000_000_000,
  ...overrides,
});

userStoreConformance("MemoryUserStore", () => new MemoryUserStore());

describe("RedisUserStore", () => {
  let redis: TestRedis;
  let client: Redis;
  let sharedPrefix: string;

  before(async () => {
    redis = await testRedis();
    client = redis.client();
    sharedPrefix = redis.prefix();
  });
  after(() => redis.cleanup());

  const closed: Redis[] = [];
  after(() => closed.forEach((c) => c.disconnect()));
  userStoreConformance("RedisUserStore", () => new RedisUserStore(client, { keyPrefix: sharedPrefix }), {
    // Port 1: nothing listens, every command fails at once (no offline queue).
    unavailable: () => {
      const down = new Redis({ ...FAIL_FAST, port: 1, lazyConnect: true });
      down.on("error", () => {});
      closed.push(down);
      return new RedisUserStore(down, { keyPrefix: sharedPrefix });
    },
  });

  describe("after the conformance suite", () => {
    it("left every email index entry pointing to its user, every user indexed, and no lease", async () => {
      await expectConsistent(client, sharedPrefix);
    });
  });

  describe("keys", () => {
    it("keeps the user in a hash and the email index in a string, each under its own hash tag", async () => {
      const prefix = redis.prefix();
      const store = new RedisUserStore(client, { keyPrefix: prefix });
      const user = await store.create(newUser({ name: null, createdAt: 1_700_000_000_123 }));
      expect(user).to.not.equal(null);
      const userKey = `${prefix}{u:${user!.id}}:user`;
      const emailKey = `${prefix}{e:${sha256(user!.email)}}:email`;
      expect((await allKeys(client, `${prefix}*`)).sort()).to.deep.equal([emailKey, userKey].sort());
      expect(await client.type(userKey)).to.equal("hash");
      expect(await client.hgetall(userKey)).to.deep.equal({
        id: user!.id,
        email: user!.email,
        emailVerified: "0",
        passwordHash: user!.passwordHash,
        createdAt: "1700000000123",
        updatedAt: "1700000000123",
      });
      expect(await client.get(emailKey)).to.equal(user!.id);
      expect(user!.id).to.match(/^[A-Za-z0-9_-]{22}$/);
      expect(await client.pttl(userKey), "permanent once the email is claimed").to.equal(-1);
    });

    it("keeps attributes as one a:<key> JSON field each, and reads records written without them as {}", async () => {
      const prefix = redis.prefix();
      const store = new RedisUserStore(client, { keyPrefix: prefix });
      const user = await store.create(newUser({ attributes: { plan: "pro", mfa: { totp: true } } }));
      const userKey = `${prefix}{u:${user!.id}}:user`;
      expect(await client.hget(userKey, "a:plan")).to.equal('"pro"');
      expect(await client.hget(userKey, "a:mfa")).to.equal('{"totp":true}');
      // A record in the format of earlier versions (no attribute fields at all).
      const legacyId = "legacyLegacyLegacyLeg1";
      const legacy = newUser();
      await client.hset(`${prefix}{u:${legacyId}}:user`, {
        id: legacyId, email: legacy.email, emailVerified: "1", passwordHash: legacy.passwordHash,
        createdAt: "1700000000000", updatedAt: "1700000000001",
      });
      await client.set(`${prefix}{e:${sha256(legacy.email)}}:email`, legacyId);
      expect((await store.findById(legacyId))?.attributes).to.deep.equal({});
      expect((await store.findByEmail(legacy.email))?.attributes).to.deep.equal({});
      const patched = await store.update(legacyId, { attributes: { added: 1 }, updatedAt: 1_700_000_000_002 });
      expect(patched).to.deep.include({ id: legacyId, emailVerified: true, attributes: { added: 1 } });
    });

    it("writes a new record with a short TTL until its email is claimed (an interrupted registration cleans itself up)", async () => {
      const prefix = redis.prefix();
      const store = new RedisUserStore(client, { keyPrefix: prefix });
      const ttls: number[] = [];
      // Look at the record between the write and the claim: hold the claim (a script: SET NX, else GET).
      const original = client.evalsha.bind(client);
      (client as unknown as { evalsha: unknown }).evalsha = async (...args: unknown[]) => {
        const keys = await allKeys(client, `${prefix}{u:*}:user`);
        for (const k of keys) ttls.push(await client.pttl(k));
        return (original as (...a: unknown[]) => Promise<unknown>)(...args);
      };
      try {
        await store.create(newUser());
      } finally {
        (client as unknown as { evalsha: unknown }).evalsha = original;
      }
      expect(ttls).to.have.length(1);
      expect(ttls[0]).to.be.greaterThan(0).and.at.most(30_000);
    });

    it("uses gh: as the default prefix", async () => {
      const store = new RedisUserStore(client);
      const ghost = "no-such-user-" + sha256(email()).slice(0, 8);
      expect(await store.findById(ghost)).to.equal(null);
      expect(await client.exists(`gh:{u:${ghost}}:user`)).to.equal(0);
    });

    it("throws TypeError for a bad timeoutMs", () => {
      expect(() => new RedisUserStore(client, { timeoutMs: 0 })).to.throw(TypeError);
      expect(() => new RedisUserStore(client, { timeoutMs: Number.NaN })).to.throw(TypeError);
    });
  });

  describe("stale email index entries", () => {
    let prefix: string;
    let store: RedisUserStore;
    beforeEach(() => {
      prefix = redis.prefix();
      store = new RedisUserStore(client, { keyPrefix: prefix });
    });
    const indexKey = (address: string) => `${prefix}{e:${sha256(address)}}:email`;

    it("repairs an entry pointing to a missing user on create", async () => {
      const address = email();
      await client.set(indexKey(address), "ghost-id");
      expect(await store.findByEmail(address)).to.equal(null);
      const user = await store.create(newUser({ email: address }));
      expect(user).to.not.equal(null);
      expect(await client.get(indexKey(address))).to.equal(user!.id);
      expect(await store.findByEmail(address)).to.deep.equal(user);
    });

    it("repairs an entry pointing to a user that has another email, leaving that user intact", async () => {
      const owner = (await store.create(newUser()))!;
      const address = email();
      await client.set(indexKey(address), owner.id);
      expect(await store.findByEmail(address)).to.equal(null);
      const user = await store.create(newUser({ email: address }));
      expect(user).to.not.equal(null);
      expect(await store.findByEmail(address)).to.deep.equal(user);
      expect(await store.findByEmail(owner.email)).to.deep.equal(owner);
    });

    it("repairs a stale entry on changeEmail too", async () => {
      const user = (await store.create(newUser()))!;
      const address = email();
      await client.set(indexKey(address), "ghost-id");
      const changed = await store.changeEmail(user.id, address, user.createdAt + 1);
      expect(changed).to.deep.equal({ ...user, email: address, updatedAt: user.createdAt + 1 });
      expect(await client.get(indexKey(address))).to.equal(user.id);
      await expectConsistent(client, prefix);
    });

    it("does not take an email whose owner holds a lease on it (a change in flight)", async () => {
      const owner = (await store.create(newUser()))!;
      const address = email();
      await client.set(indexKey(address), owner.id);
      await client.set(`${prefix}{u:${owner.id}}:claim:${sha256(address)}`, "token", "PX", 30_000);
      expect(await store.create(newUser({ email: address }))).to.equal(null);
      expect(await client.get(indexKey(address))).to.equal(owner.id);
      expect(await allKeys(client, `${prefix}{u:*}:user`)).to.have.length(1);
    });

    it("lets exactly one of two slow app servers racing for one email win", async () => {
      // Random delays before each command shuffle the interleavings a single fast connection
      // never produces (e.g. a claim judged before its owner's record catches up).
      store = new RedisUserStore(jittery(client), { keyPrefix: prefix });
      const other = new RedisUserStore(jittery(redis.client()), { keyPrefix: prefix });
      for (let round = 0; round < 30; round++) {
        const [a, b] = await Promise.all([store.create(newUser()), other.create(newUser())]);
        const target = email();
        const results = await Promise.all([
          store.changeEmail(a!.id, target, 2),
          other.changeEmail(b!.id, target, 2),
          round % 2 ? store.create(newUser({ email: target })) : other.create(newUser({ email: target })),
        ]);
        const wins = results.filter((r) => r !== null && r !== "email_taken");
        expect(wins, `round ${round}`).to.have.length(1);
      }
      await expectConsistent(client, prefix);
    });

    it("leaves no orphan after a mix of racing creates, email changes and deletes", async () => {
      const users = await Promise.all(Array.from({ length: 6 }, () => store.create(newUser())));
      const targets = [email(), email()];
      await Promise.all([
        ...users.map((u, i) => store.changeEmail(u!.id, targets[i % 2]!, u!.createdAt + 1)),
        ...Array.from({ length: 6 }, (_, i) => store.create(newUser({ email: targets[i % 2]! }))),
        store.delete(users[5]!.id),
      ]);
      await expectConsistent(client, prefix);
      for (const target of targets) expect(await store.findByEmail(target)).to.not.equal(null);
    });
  });

  describe("when Redis is down or hung", function () {
    this.timeout(30_000);
    let own: OwnRedis;
    let outageClient: Redis;
    let store: RedisUserStore;
    let existingId: string;

    beforeEach(async () => {
      own = await new OwnRedis().start();
      outageClient = new Redis(own.url, { ...FAIL_FAST, lazyConnect: true });
      outageClient.on("error", () => {});
      await outageClient.connect();
      store = new RedisUserStore(outageClient, { timeoutMs: 500 });
      existingId = (await store.create(newUser()))!.id;
    });
    afterEach(async () => {
      outageClient.disconnect();
      await own.stop();
    });

    const calls: [string, (s: UserStore, id: string) => Promise<unknown>][] = [
      ["create", (s) => s.create(newUser())],
      ["findById", (s, id) => s.findById(id)],
      ["findByEmail", (s) => s.findByEmail(email())],
      ["update", (s, id) => s.update(id, { name: "x", updatedAt: 2 })],
      ["changeEmail", (s, id) => s.changeEmail(id, email(), 2)],
      ["delete", (s, id) => s.delete(id)],
    ];

    it("rejects every method with SERVICE_UNAVAILABLE within 2 s when the server is stopped", async () => {
      await own.stop();
      for (const [name, call] of calls) await expectUnavailable(name, () => call(store, existingId));
    });

    it("rejects every method with SERVICE_UNAVAILABLE within 2 s when the server is paused", async () => {
      // CLIENT UNPAUSE would be paused too: afterEach kills the server instead.
      await own.pause(5000);
      for (const [name, call] of calls) await expectUnavailable(name, () => call(store, existingId));
    });
  });

  describe("on a Redis Cluster", function () {
    this.timeout(60_000);
    let cluster: LocalCluster | undefined;
    let clusterClient: Cluster;
    let prefix: string;

    before(async function () {
      cluster = await startCluster(3).catch(() => undefined);
      if (!cluster) return this.skip();
      clusterClient = new Cluster(cluster.ports.map((port) => ({ host: "127.0.0.1", port })));
      clusterClient.on("error", () => {});
      // The cluster is ours and thrown away afterwards: a fixed prefix is fine.
      prefix = "ghtest:cluster:";
      // Wait until the client knows the slot map, so no test pays for the discovery.
      await clusterClient.ping();
    });
    after(async () => {
      clusterClient?.disconnect();
      await cluster?.stop();
    });

    userStoreConformance("RedisUserStore on a 3-node Cluster", () => new RedisUserStore(clusterClient, { keyPrefix: prefix }));

    describe("after the conformance suite", () => {
      it("spread users over several nodes and left the index consistent", async () => {
        const keys = (await Promise.all(clusterClient.nodes("master").map((node) => allKeys(node, `${prefix}*`)))).map(
          (k) => k.filter((key) => key.endsWith(":user")).length,
        );
        expect(keys.filter((n) => n > 0).length).to.be.greaterThan(1);
        await expectConsistent(clusterClient, prefix);
      });
    });
  });
});

/** The client, with a random 0-15 ms pause before each command it sends. */
function jittery(client: Redis): Redis {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || typeof prop !== "string" || !/^(get|set|del|hset|hgetall|evalsha|eval)$/.test(prop)) {
        return value;
      }
      return async (...args: unknown[]) => {
        await new Promise((r) => setTimeout(r, Math.random() * 15));
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

/** Index entries and users match one to one, and no email-change lease is left behind. */
async function expectConsistent(client: RedisClient, prefix: string): Promise<void> {
  const keys = await allKeys(client, `${prefix}*`);
  const userKeys = keys.filter((k) => k.endsWith(":user"));
  const emailKeys = keys.filter((k) => k.endsWith(":email"));
  expect(keys.filter((k) => k.includes(":claim:")), "leases left behind").to.deep.equal([]);
  const indexed = new Map<string, string>();
  for (const key of emailKeys) indexed.set(key, (await client.get(key))!);
  const emailOf = new Map<string, string>();
  for (const key of userKeys) {
    const user = await client.hgetall(key);
    emailOf.set(user.id!, user.email!);
    expect(indexed.get(`${prefix}{e:${sha256(user.email!)}}:email`), `user ${user.id} is not indexed`).to.equal(user.id);
  }
  for (const [key, id] of indexed) {
    const owned = emailOf.get(id);
    expect(owned, `${key} points to a missing user`).to.not.equal(undefined);
    expect(key, `${key} points to a user with another email`).to.equal(`${prefix}{e:${sha256(owned!)}}:email`);
  }
}

/**
 * Store reads of a lookup by email, known vs unknown address: forgot-password (and login) must not
 * say by their timing whether an account exists. One spec per store the library ships.
 */
describe("reads of findByEmail: the same for a known and an unknown address", () => {
  it("MemoryUserStore: the same record reads", async () => {
    const store = new MemoryUserStore();
    const known = newUser();
    await store.create(known);
    let reads = 0;
    const findById = store.findById.bind(store);
    store.findById = (id: string) => {
      reads++;
      return findById(id);
    };
    expect(await store.findByEmail(known.email)).to.not.equal(null);
    const forKnown = reads;
    reads = 0;
    expect(await store.findByEmail(email())).to.equal(null);
    expect(reads).to.equal(forKnown);
  });

  it("RedisUserStore: the same Redis commands", async () => {
    const redis = await testRedis();
    const client = redis.client();
    const store = new RedisUserStore(client, { keyPrefix: redis.prefix() });
    const known = newUser();
    await store.create(known);
    const commands: string[] = [];
    const send = client.sendCommand.bind(client);
    (client as unknown as { sendCommand: unknown }).sendCommand = (cmd: { name: string }) => {
      commands.push(cmd.name);
      return send(cmd as Parameters<typeof send>[0]);
    };
    expect(await store.findByEmail(known.email)).to.not.equal(null);
    const forKnown = commands.splice(0);
    expect(await store.findByEmail(email())).to.equal(null);
    expect(commands).to.deep.equal(forKnown);
    expect(forKnown).to.deep.equal(["get", "hgetall"]);
    await redis.cleanup();
  });
});
