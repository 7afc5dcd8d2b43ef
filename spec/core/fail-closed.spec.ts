import { expect } from "chai";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { failClosed } from "../../lib/core/fail-closed.js";
import { AuthError } from "../../lib/errors.js";
import type { UserStore } from "../../lib/ports/user-store.js";
import { buildCore, CTX, PASSWORD, rejection } from "../helpers/core.js";

const DEADLINE = 50;

/** A user store whose every method misbehaves the same way. */
function brokenStore(behave: () => unknown): UserStore {
  const call = () => behave() as never;
  return { create: call, findById: call, findByEmail: call, update: call, changeEmail: call, delete: call };
}

function expectUnavailable(err: AuthError, method: string) {
  expect(err.code).to.equal("SERVICE_UNAVAILABLE");
  expect(err.status).to.equal(503);
  expect(err.retryAfter).to.equal(1);
  expect((err.cause as Error).message).to.equal(`storage.users.${method} failed`);
}

describe("failClosed", () => {
  it("turns a rejection into SERVICE_UNAVAILABLE, keeping the cause", async () => {
    const cause = new Error("connection reset");
    const err = await rejection(failClosed(brokenStore(() => Promise.reject(cause)), "storage.users", DEADLINE).findById("u"));
    expectUnavailable(err, "findById");
    expect((err.cause as Error).cause).to.equal(cause);
  });

  it("turns a synchronous throw into SERVICE_UNAVAILABLE, thrown at once", () => {
    const store = failClosed(
      brokenStore(() => {
        throw new TypeError("bug in the app's store");
      }),
      "storage.users",
      DEADLINE,
    );
    let caught: unknown;
    try {
      void store.findByEmail("a@example.com");
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(AuthError);
    expectUnavailable(caught as AuthError, "findByEmail");
  });

  it("turns a call that never settles into SERVICE_UNAVAILABLE at the deadline", async () => {
    const store = failClosed(brokenStore(() => new Promise(() => {})), "storage.users", DEADLINE);
    const started = performance.now();
    const err = await rejection(store.update("u", { updatedAt: 0 }));
    const took = performance.now() - started;
    expectUnavailable(err, "update");
    expect(took).to.be.within(DEADLINE - 5, DEADLINE + 500);
  });

  it("lets an AuthError the store raises on purpose pass as it is, rejected or thrown", async () => {
    const mine = new AuthError("EMAIL_ALREADY_REGISTERED");
    expect(await rejection(failClosed(brokenStore(() => Promise.reject(mine)), "storage.users", DEADLINE).create({ email: "a", name: null, passwordHash: "h", emailVerified: false, createdAt: 0 }))).to.equal(mine);
    const throwing = failClosed(
      brokenStore(() => {
        throw mine;
      }),
      "storage.users",
      DEADLINE,
    );
    expect(() => throwing.delete("u")).to.throw(AuthError).that.equals(mine);
  });

  it("passes answers through: a promise resolves its value, a sync result stays sync, properties are untouched", async () => {
    const inner = new MemoryUserStore();
    const store = failClosed(inner, "storage.users", DEADLINE);
    const created = await store.create({ email: "a@example.com", name: null, passwordHash: "h", emailVerified: false, createdAt: 0 });
    expect(await store.findById(created!.id)).to.deep.equal(created);
    const hasher = failClosed({ name: "custom", recognizes: (h: string) => h.startsWith("$c$"), tag: 7 }, "hashing.hasher", DEADLINE);
    const answer = hasher.recognizes("$c$x");
    expect(answer).to.equal(true);
    expect(hasher.name).to.equal("custom");
    expect(hasher.tag).to.equal(7);
  });

  it("a core flow on a hanging store answers SERVICE_UNAVAILABLE, not a hang or a wrong answer", async () => {
    const c = buildCore({ users: failClosed(brokenStore(() => new Promise(() => {})), "storage.users", DEADLINE) });
    const err = await rejection(c.signIn.login("ada@example.com", PASSWORD, CTX, async () => "session"));
    expectUnavailable(err, "findByEmail");
    expect(c.firedNames(), "an outage is not a failed login").to.deep.equal([]);
  });

  it("guards a driver's own thenable too (not only native promises): a hanging one is a 503 at the deadline", async () => {
    const hanging = { then: () => {} };
    const err = await rejection(failClosed(brokenStore(() => hanging), "storage.users", DEADLINE).findById("u"));
    expectUnavailable(err, "findById");
  });
});
