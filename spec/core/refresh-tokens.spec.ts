import { expect } from "chai";
import { MemoryCredentialStore } from "../../lib/adapters/memory-credential-store.js";
import { MemoryRefreshStore } from "../../lib/adapters/memory-refresh-store.js";
import { RedisCredentialStore } from "../../lib/adapters/redis-credential-store.js";
import { RedisRefreshStore } from "../../lib/adapters/redis-refresh-store.js";
import { passwordFingerprint } from "../../lib/core/email-tokens.js";
import { isPending, RefreshTokens, type Pending } from "../../lib/core/refresh-tokens.js";
import type { CredentialStore } from "../../lib/ports/credential-store.js";
import { PENDING_GRACE_MS } from "../../lib/ports/credential-store.js";
import type { RefreshFamily, RefreshStore } from "../../lib/ports/refresh-store.js";
import type { UserRecord } from "../../lib/types.js";
import { buildCore, counting, CTX, rejection, type Core } from "../helpers/core.js";
import { testRedis, type TestRedis } from "../helpers/redis.js";

const TTL = 30 * 86400;
const GRACE = 10;
const MAX = 3;
const SECRETS = ["refresh-spec-secret-that-is-long-enough-01", "an-older-secret-still-listed-for-rotation-02"];

/** The two stores on the two kinds of credential record, each fresh per case. */
const STORES: { name: string; make: () => Promise<{ store: RefreshStore; credentials: CredentialStore }> }[] = [
  {
    name: "memory",
    make: async () => {
      const credentials = new MemoryCredentialStore();
      return { store: new MemoryRefreshStore(credentials), credentials };
    },
  },
  {
    name: "redis",
    make: async () => {
      redis ??= await testRedis();
      const client = redis.client();
      const keyPrefix = redis.prefix();
      return { store: new RedisRefreshStore(client, { keyPrefix }), credentials: new RedisCredentialStore(client, { keyPrefix, tombstoneTtl: TTL }) };
    },
  },
];
let redis: TestRedis | undefined;
after(async () => redis?.cleanup());

function started(r: { family: RefreshFamily; token: string } | Pending): { family: RefreshFamily; token: string } {
  if (isPending(r)) throw new Error("expected a family, got pending");
  return r;
}

for (const { name, make } of STORES) {
  describe(`RefreshTokens (${name} store)`, () => {
    let c: Core;
    let user: UserRecord;
    let store: RefreshStore;
    let credentials: CredentialStore;
    let tokens: RefreshTokens;
    const build = (s: RefreshStore, secrets = SECRETS) => new RefreshTokens({ store: s, events: c.events, serialize: c.serialize, now: c.now, secrets, ttl: TTL, grace: GRACE, maxFamilies: MAX });
    beforeEach(async () => {
      ({ store, credentials } = await make());
      c = buildCore({ refreshStore: store });
      tokens = build(store);
      user = await c.createUser("ada@example.com");
    });

    const start = async (u = user) => started(await tokens.start(u, CTX));
    async function rotated(token: string): Promise<string> {
      const r = await tokens.rotate(token);
      if (!r.ok) throw new Error(`expected a rotation, got ${JSON.stringify(r)}`);
      return r.token;
    }
    const live = async (familyId: string) => (await store.get(user.id, familyId, c.now())).status;

    it("starts a family stamped with the record's epoch and hands out `<userId>.<familyId>.0.<mac>`", async () => {
      const { family, token } = await start();
      expect(token.split(".").slice(0, 3)).to.deep.equal([user.id, family.id, "0"]);
      expect(tokens.parse(token)).to.deep.equal({ userId: user.id, familyId: family.id, n: 0 });
      expect(family).to.include({ userId: user.id, createdAt: c.now(), expiresAt: c.now() + TTL * 1000, ip: CTX.ip, userAgent: CTX.userAgent, epoch: 0, n: 0 });
      expect(family.user).to.deep.equal(c.serialize(user));
      expect(await store.get(user.id, family.id, c.now())).to.deep.equal({ status: "live", family });
    });

    it("rotates: the successor works, the end does not move, and the user is the record's copy", async () => {
      const { family, token } = await start();
      const renamed = { ...c.serialize(user), name: "Ada L." };
      await credentials.commit(user.id, { user: { json: JSON.stringify(renamed), at: user.updatedAt + 1 } });
      c.clock.advance(3600);
      const r = await tokens.rotate(token);
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(tokens.parse(r.token)).to.include({ n: 1 });
      expect(r.family).to.include({ id: family.id, expiresAt: family.expiresAt, seenAt: c.now(), n: 1 });
      expect(r.family.user.name).to.equal("Ada L.");
      const read = await store.get(user.id, family.id, c.now());
      expect(read.status === "live" && read.family.user.name, "every read sees the record's copy").to.equal("Ada L.");
      await rotated(r.token);
    });

    it("gives a second use within the grace window the same successor (two tabs at once)", async () => {
      const { token } = await start();
      const [a, b] = await Promise.all([tokens.rotate(token), tokens.rotate(token)]);
      expect(a.ok && b.ok).to.equal(true);
      expect(a.ok && a.token).to.equal(b.ok && b.token);
      c.clock.advance(GRACE);
      expect(await rotated(token)).to.equal(a.ok && a.token);
    });

    it("ends the whole family on a replay after the grace window, and reports it", async () => {
      const { family, token } = await start();
      const next = await rotated(token);
      c.clock.advance(GRACE + 1);
      const err = await rejection(tokens.rotateOrThrow(token, CTX));
      expect(err.code).to.equal("INVALID_REFRESH_TOKEN");
      expect(c.fired.map((f) => [f.name, f.event.userId])).to.deep.equal([["onRefreshReuse", user.id]]);
      expect(await live(family.id)).to.equal("ended");
      expect((await tokens.rotate(next)).ok, "the thief's successor dies too").to.equal(false);
    });

    it("ends the family on an older generation even within the grace window", async () => {
      const { family, token } = await start();
      const one = await rotated(token);
      await rotated(one);
      expect(await tokens.rotate(token)).to.deep.equal({ ok: false, reason: "reuse", userId: user.id });
      expect(await live(family.id)).to.equal("ended");
    });

    it("refuses a forged token with a real family's ids without touching the store: no replay, the family lives on", async () => {
      const { family, token } = await start();
      const spy = counting(store);
      const forging = build(spy.port);
      const [uid, fid] = token.split(".");
      const forged = [
        `${uid}.${fid}.0.${"A".repeat(43)}`,
        `${uid}.${fid}.1.${token.split(".")[3]}`,
        `${uid}.${fid}.00.${token.split(".")[3]}`,
        "",
        "a.b.c",
        `${uid}.short.0.${"a".repeat(43)}`,
      ];
      for (const bad of forged) expect(await forging.rotate(bad), bad).to.deep.equal({ ok: false, reason: "invalid" });
      expect(await forging.revoke(forged[0]!, CTX)).to.equal(false);
      expect(spy.calls).to.deep.equal({});
      expect(c.fired).to.deep.equal([]);
      expect(await live(family.id)).to.equal("live");
      await rotated(token);
    });

    it("verifies tokens made with any listed secret, and mints with the first", async () => {
      const older = build(store, [SECRETS[1]!]);
      const { token } = started(await older.start(user, CTX));
      const next = await rotated(token);
      expect(older.parse(next), "the successor is signed with the first secret").to.equal(null);
      expect(tokens.parse(next)).to.include({ n: 1 });
    });

    it("ends at its absolute end, however often it rotated", async () => {
      let { token } = await start();
      for (let day = 1; day < 30; day++) {
        c.clock.advance(86400);
        token = await rotated(token);
      }
      c.clock.advance(86400);
      expect(await tokens.rotate(token)).to.deep.equal({ ok: false, reason: "invalid" });
    });

    it("ends every family of an older epoch (revoke all), except the one a change keeps", async () => {
      const a = await start();
      const b = await start();
      await credentials.commit(user.id, { revoke: true, keep: { family: b.family.id } });
      expect(await live(a.family.id)).to.equal("ended");
      expect(await tokens.rotate(a.token)).to.deep.equal({ ok: false, reason: "invalid" });
      expect(c.fired, "a revoked family is no replay").to.deep.equal([]);
      expect(await live(b.family.id)).to.equal("live");
      await rotated(b.token);
      expect((await store.list(user.id, c.now())).map((f) => f.id)).to.deep.equal([b.family.id]);
    });

    it("ends the families of a deleted user", async () => {
      const { family, token } = await start();
      await credentials.commit(user.id, { gone: true });
      expect(await live(family.id)).to.equal("ended");
      expect((await tokens.rotate(token)).ok).to.equal(false);
      expect(await store.list(user.id, c.now())).to.deep.equal([]);
      expect((await rejection(tokens.start(user, CTX))).code, "and begins none").to.equal("INVALID_CREDENTIALS");
    });

    it("begins no family for a sign-in whose password is no longer the user's (compare-and-create)", async () => {
      await start();
      await credentials.commit(user.id, { pwd: passwordFingerprint("$argon2id$a-newer-hash"), revoke: true });
      expect((await rejection(tokens.start(user, CTX))).code).to.equal("INVALID_CREDENTIALS");
      expect(await store.list(user.id, c.now())).to.deep.equal([]);
      // A re-hash of the same password (parameters upgraded) still admits the hash it replaced.
      const other = await c.createUser("grace@example.com");
      await start(other);
      await credentials.commit(other.id, { pwd: passwordFingerprint("$argon2id$rehashed"), rehash: true });
      await start(other);
    });

    it("answers pending while a change is stuck in flight, for sign-ins, reads and rotations", async () => {
      const { family, token } = await start();
      await credentials.prepare(user.id, "-", c.now());
      c.clock.advance(PENDING_GRACE_MS / 1000 + 1);
      expect(await tokens.start(user, CTX)).to.deep.equal({ pending: user.id });
      expect(await store.get(user.id, family.id, c.now())).to.deep.equal({ status: "pending" });
      expect(await tokens.rotate(token)).to.deep.equal({ ok: false, reason: "pending", pending: user.id });
      await credentials.commit(user.id, { settles: "-" });
      await rotated(token);
    });

    it(`keeps at most ${MAX} families per user: a sign-in beyond ends the oldest`, async () => {
      const all: string[] = [];
      for (let i = 0; i < MAX + 2; i++) {
        all.push((await start()).family.id);
        c.clock.advance(1);
      }
      const listed = (await store.list(user.id, c.now())).map((f) => f.id);
      expect(listed.sort()).to.deep.equal(all.slice(2).sort());
      expect(await live(all[0]!)).to.equal("ended");
      expect(await live(all[1]!)).to.equal("ended");
    });
  });
}
