import { expect } from "chai";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { Sessions, sessionDeadline, sessionTtl, type SessionValidation } from "../../lib/core/sessions.js";
import type { RefreshFamily } from "../../lib/ports/refresh-store.js";
import type { SessionMeta, UserRecord } from "../../lib/types.js";
import { buildCore, counting, CTX, type Core } from "../helpers/core.js";

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

  it("starts with the user's id, the client and a handle of its own, seen now, and holds no user data", () => {
    expect(meta).to.include({ uid: user.id, createdAt: c.now(), seenAt: c.now(), ip: CTX.ip, userAgent: CTX.userAgent });
    expect(meta.handle).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(c.sessions.start(user, CTX).handle).to.not.equal(meta.handle);
    expect(JSON.stringify(meta)).to.not.contain(user.passwordHash).and.not.contain(user.email);
  });

  it("is valid until touchAfter has passed, then touched: seenAt renews, the sign-in time stays; it never reads the user", async () => {
    c.clock.advance(TOUCH - 1);
    expect(await check()).to.equal("valid");
    c.clock.advance(1);
    const before = meta;
    expect(await check()).to.equal("touched");
    expect(meta).to.include({ seenAt: c.now(), createdAt: before.createdAt, handle: before.handle });
    expect(reads.findById ?? 0).to.equal(0);
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

  it("renew keeps the sign-in time and the handle (a rotation), and marks it seen", async () => {
    c.clock.advance(100);
    const renewed = c.sessions.renew(meta);
    expect(renewed).to.include({ createdAt: meta.createdAt, seenAt: c.now(), handle: meta.handle, uid: user.id });
  });

  it("keeps a session in the store until its idle timeout, never past its absolute one", () => {
    const t = { idleTimeout: IDLE, absoluteTimeout: ABSOLUTE };
    expect(sessionTtl(meta, c.now(), t)).to.equal(IDLE);
    expect(sessionTtl(undefined, c.now(), t)).to.equal(IDLE);
    const late = { ...meta, seenAt: meta.createdAt + (ABSOLUTE - 100) * 1000 };
    expect(sessionTtl(late, late.seenAt, t)).to.equal(100);
  });

  it("refuses validate() in JWT mode (no server-side timeouts)", async () => {
    const jwt = new Sessions({ events: c.events, now: c.now, timeouts: undefined });
    let caught: unknown;
    try {
      await jwt.validate(meta);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(TypeError);
  });

  it("a refresh family is valid until its absolute end", () => {
    const family: RefreshFamily = { id: "f", userId: user.id, createdAt: c.now(), expiresAt: c.now() + 1000, seenAt: c.now(), ip: undefined, userAgent: undefined, epoch: 0, n: 0, user: c.serialize(user) };
    expect(c.sessions.validateFamily(family)).to.deep.equal({ status: "valid", user: family.user });
    expect(c.sessions.validateFamily(null)).to.deep.equal({ status: "ended" });
    c.clock.advance(1);
    expect(c.sessions.validateFamily(family)).to.deep.equal({ status: "ended" });
  });

  it("signOut ends the session before reporting it; revoke reports how many ended", async () => {
    const order: string[] = [];
    await c.sessions.signOut(c.serialize(user), CTX, async () => {
      order.push(`end (reported: ${c.firedNames().join()})`);
    });
    expect(order).to.deep.equal(["end (reported: )"]);
    await c.sessions.revoke(c.serialize(user), CTX, async () => 3);
    expect(c.fired.map((f) => [f.name, f.event.count])).to.deep.equal([
      ["onLogout", undefined],
      ["onSessionRevoked", 3],
    ]);
  });

  it("an ending that fails is not reported", async () => {
    let caught: unknown;
    try {
      await c.sessions.signOut(c.serialize(user), CTX, () => Promise.reject(new Error("store down")));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Error);
    expect(c.fired).to.deep.equal([]);
  });
});
