import { expect } from "chai";
import { MemoryRefreshStore } from "../../lib/adapters/memory-refresh-store.js";
import type { UserRecord } from "../../lib/types.js";
import { buildCore, counting, CTX, NEW_PASSWORD, rejection, type Core } from "../helpers/core.js";

const TTL = 30 * 86400;
const GRACE = 10;

describe("RefreshTokens", () => {
  let c: Core;
  let user: UserRecord;
  beforeEach(async () => {
    c = buildCore();
    user = await c.createUser("ada@example.com");
  });

  async function rotated(token: string): Promise<string> {
    const r = await c.refreshTokens.rotate(token);
    if (!r.ok) throw new Error(`expected a rotation, got ${JSON.stringify(r)}`);
    return r.token;
  }

  it("starts a family for the user and hands out `<userId>.<familyId>.<secret>`", async () => {
    const { family, token } = await c.refreshTokens.start(user, CTX);
    expect(c.refreshTokens.parse(token)).to.include({ userId: user.id, familyId: family.id });
    expect(family).to.include({ userId: user.id, createdAt: c.now(), expiresAt: c.now() + TTL * 1000, ip: CTX.ip, userAgent: CTX.userAgent });
    expect(await c.refreshStore.get(user.id, family.id, c.now())).to.deep.equal(family);
  });

  it("rotates: the successor works, the family's absolute end does not move, the user copy is fresh", async () => {
    const { family, token } = await c.refreshTokens.start(user, CTX);
    await c.users.update(user.id, { name: "Ada L.", updatedAt: c.now() });
    c.clock.advance(3600);
    const r = await c.refreshTokens.rotate(token);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.token).to.not.equal(token);
    expect(r.family).to.include({ id: family.id, expiresAt: family.expiresAt, seenAt: c.now() });
    expect(r.family.user.name).to.equal("Ada L.");
    await rotated(r.token);
  });

  it("gives a second use within the grace window the same successor (two tabs at once)", async () => {
    const { token } = await c.refreshTokens.start(user, CTX);
    const [a, b] = await Promise.all([c.refreshTokens.rotate(token), c.refreshTokens.rotate(token)]);
    expect(a.ok && b.ok).to.equal(true);
    expect(a.ok && a.token).to.equal(b.ok && b.token);
    c.clock.advance(GRACE);
    expect(await rotated(token)).to.equal(a.ok && a.token);
  });

  it("ends the whole family on a replay after the grace window, and reports it", async () => {
    const { family, token } = await c.refreshTokens.start(user, CTX);
    const next = await rotated(token);
    c.clock.advance(GRACE + 1);
    const err = await rejection(c.refreshTokens.rotateOrThrow(token, CTX));
    expect(err.code).to.equal("INVALID_REFRESH_TOKEN");
    expect(c.fired.map((f) => [f.name, f.event.userId])).to.deep.equal([["onRefreshReuse", user.id]]);
    expect(await c.refreshStore.get(user.id, family.id, c.now())).to.equal(null);
    expect((await c.refreshTokens.rotate(next)).ok, "the thief's successor dies too").to.equal(false);
  });

  it("refuses a malformed token without touching the store, and does not call it a replay", async () => {
    const store = counting(new MemoryRefreshStore());
    c = buildCore({ refreshStore: store.port });
    for (const bad of ["", "a.b.c", `${user.id}.short.${"a".repeat(43)}`]) {
      expect(await c.refreshTokens.rotate(bad), bad).to.deep.equal({ ok: false, reuse: false });
    }
    expect(c.fired).to.deep.equal([]);
    expect(store.calls).to.deep.equal({});
  });

  it("ends at its absolute end, however often it rotated", async () => {
    let { token } = await c.refreshTokens.start(user, CTX);
    for (let day = 1; day < 30; day++) {
      c.clock.advance(86400);
      token = await rotated(token);
    }
    c.clock.advance(86400);
    expect(await c.refreshTokens.rotate(token)).to.deep.equal({ ok: false, reuse: false });
  });

  it("ends a family begun under an older password, and one whose user is gone", async () => {
    const { family, token } = await c.refreshTokens.start(user, CTX);
    await c.users.update(user.id, { passwordHash: await c.passwords.hash(NEW_PASSWORD), updatedAt: c.now() });
    expect(await c.refreshTokens.rotate(token)).to.deep.equal({ ok: false, reuse: false });
    expect(await c.refreshStore.get(user.id, family.id, c.now())).to.equal(null);

    const other = await c.createUser("grace@example.com");
    const theirs = await c.refreshTokens.start(other, CTX);
    await c.users.delete(other.id);
    expect(await c.refreshTokens.rotate(theirs.token)).to.deep.equal({ ok: false, reuse: false });
    expect(await c.refreshStore.list(other.id, c.now())).to.deep.equal([]);
  });
});
