import { expect } from "chai";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { Sessions, sessionDeadline, sessionTtl, type SessionValidation } from "../../lib/core/sessions.js";
import type { RefreshFamily } from "../../lib/ports/refresh-store.js";
import type { SessionMeta, UserRecord } from "../../lib/types.js";
import { buildCore, counting, CTX, NEW_PASSWORD, type Core } from "../helpers/core.js";

const IDLE = 1800;
const ABSOLUTE = 86400;
const TOUCH = 60;

describe("Sessions", () => {
  let c: Core;
  let reads: Record<string, number>;
  let user: UserRecord;
  let meta: SessionMeta;
  beforeEach(async () => {
    const users = counting(new MemoryUserStore());
    reads = users.calls;
    c = buildCore({ users: users.port, timeouts: { idleTimeout: IDLE, absoluteTimeout: ABSOLUTE, touchAfter: TOUCH } });
    user = await c.createUser("ada@example.com");
    meta = c.sessions.start(user, CTX);
    for (const k of Object.keys(reads)) delete reads[k];
  });

  /** Validates and, when touched, stores the renewed state as the strategy would. */
  async function check(): Promise<SessionValidation["status"]> {
    const v = await c.sessions.validate(meta);
    if (v.status === "touched") meta = v.meta;
    return v.status;
  }

  it("starts with the user, the client and the password's fingerprint, seen now", () => {
    expect(meta).to.include({ uid: user.id, createdAt: c.now(), seenAt: c.now(), ip: CTX.ip, userAgent: CTX.userAgent });
    expect(meta.user).to.deep.equal(c.serialize(user));
    expect(meta.pwd).to.be.a("string").with.length(22);
    expect(JSON.stringify(meta)).to.not.contain(user.passwordHash);
  });

  it("is valid without reading the user until touchAfter has passed", async () => {
    c.clock.advance(TOUCH - 1);
    expect(await check()).to.equal("valid");
    expect(reads.findById ?? 0).to.equal(0);
  });

  it("after touchAfter re-reads the user and renews seenAt and the user copy", async () => {
    await c.users.update(user.id, { name: "Ada L.", updatedAt: c.now() });
    c.clock.advance(TOUCH);
    const v = await c.sessions.validate(meta);
    expect(reads.findById).to.equal(1);
    expect(v.status).to.equal("touched");
    if (v.status !== "touched") return;
    expect(v.user.name).to.equal("Ada L.");
    expect(v.meta.user.name).to.equal("Ada L.");
    expect(v.meta.seenAt).to.equal(c.now());
    expect(v.meta.createdAt).to.equal(meta.createdAt);
  });

  it("ends past the idle timeout, and activity keeps it alive", async () => {
    c.clock.advance(IDLE - 10);
    expect(await check()).to.equal("touched");
    c.clock.advance(IDLE - 10);
    expect(await check(), "seen again within the idle timeout").to.equal("touched");
    c.clock.advance(IDLE + 1);
    expect(await check()).to.equal("ended");
  });

  it("is still alive at exactly the idle timeout", async () => {
    c.clock.advance(IDLE);
    expect(await check()).to.equal("touched");
  });

  it("ends past the absolute timeout, however active", async () => {
    for (let t = 0; t + 1000 <= ABSOLUTE; t += 1000) {
      c.clock.advance(1000);
      expect(await check()).to.not.equal("ended");
    }
    c.clock.advance(1000);
    expect(await check()).to.equal("ended");
    expect(sessionDeadline(meta, { absoluteTimeout: ABSOLUTE })).to.be.lessThan(c.now());
  });

  it("ends at the next check after touchAfter once the password changed, and when the user is gone", async () => {
    await c.users.update(user.id, { passwordHash: await c.passwords.hash(NEW_PASSWORD), updatedAt: c.now() });
    expect(await check(), "within touchAfter nothing is read").to.equal("valid");
    expect(await c.sessions.current(meta)).to.equal(null);
    c.clock.advance(TOUCH);
    expect(await check()).to.equal("ended");

    const other = await c.createUser("grace@example.com");
    const theirs = c.sessions.start(other, CTX);
    expect((await c.sessions.current(theirs))?.id).to.equal(other.id);
    await c.users.delete(other.id);
    c.clock.advance(TOUCH);
    expect((await c.sessions.validate(theirs)).status).to.equal("ended");
    expect(await c.sessions.current(theirs)).to.equal(null);
  });

  it("renew keeps the sign-in time, takes the fresh user and password, and forgets it was persisted", async () => {
    c.clock.advance(100);
    const updated = (await c.users.update(user.id, { passwordHash: await c.passwords.hash(NEW_PASSWORD), name: "New", updatedAt: c.now() }))!;
    const renewed = c.sessions.renew({ ...meta, persisted: true }, updated);
    expect(renewed).to.include({ createdAt: meta.createdAt, seenAt: c.now(), persisted: undefined });
    expect(renewed.user.name).to.equal("New");
    expect(renewed.pwd).to.not.equal(meta.pwd);
    meta = renewed;
    c.clock.advance(TOUCH);
    expect(await check(), "the renewed session carries the new password").to.equal("touched");
  });

  it("withUser takes the fresh user and leaves the times alone", async () => {
    c.clock.advance(100);
    const updated = (await c.users.update(user.id, { emailVerified: false, updatedAt: c.now() }))!;
    const next = c.sessions.withUser(meta, updated);
    expect(next).to.include({ createdAt: meta.createdAt, seenAt: meta.seenAt });
    expect(next.user.emailVerified).to.equal(false);
  });

  it("keeps a session in the store until its idle timeout, never past its absolute one", () => {
    const t = { idleTimeout: IDLE, absoluteTimeout: ABSOLUTE };
    expect(sessionTtl(meta, c.now(), t)).to.equal(IDLE);
    expect(sessionTtl(undefined, c.now(), t)).to.equal(IDLE);
    const late = { ...meta, seenAt: meta.createdAt + (ABSOLUTE - 100) * 1000 };
    expect(sessionTtl(late, late.seenAt, t)).to.equal(100);
  });

  it("refuses validate() in JWT mode (no server-side timeouts)", async () => {
    const jwt = new Sessions({ users: c.users, events: c.events, serialize: c.serialize, now: c.now, timeouts: undefined });
    let caught: unknown;
    try {
      await jwt.validate(meta);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(TypeError);
  });

  it("a refresh family is valid until its absolute end", () => {
    const family: RefreshFamily = { id: "f", userId: user.id, createdAt: c.now(), expiresAt: c.now() + 1000, seenAt: c.now(), ip: undefined, userAgent: undefined, user: c.serialize(user), pwd: meta.pwd };
    expect(c.sessions.validateFamily(family)).to.deep.equal({ status: "valid", user: family.user });
    expect(c.sessions.validateFamily(null)).to.deep.equal({ status: "ended" });
    c.clock.advance(1);
    expect(c.sessions.validateFamily(family)).to.deep.equal({ status: "ended" });
  });

  it("signOut ends the session before reporting it; revoke reports how many ended", async () => {
    const order: string[] = [];
    await c.sessions.signOut(meta.user, CTX, async () => {
      order.push(`end (reported: ${c.firedNames().join()})`);
    });
    expect(order).to.deep.equal(["end (reported: )"]);
    await c.sessions.revoke(meta.user, CTX, async () => 3);
    expect(c.fired.map((f) => [f.name, f.event.count])).to.deep.equal([
      ["onLogout", undefined],
      ["onSessionRevoked", 3],
    ]);
  });

  it("an ending that fails is not reported", async () => {
    let caught: unknown;
    try {
      await c.sessions.signOut(meta.user, CTX, () => Promise.reject(new Error("store down")));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Error);
    expect(c.fired).to.deep.equal([]);
  });
});
