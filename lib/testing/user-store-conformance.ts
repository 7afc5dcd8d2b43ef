import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { UserStore } from "../ports/user-store.js";
import type { NewUser, UserRecord } from "../types.js";
import { testRunner, type TestRunner } from "./runner.js";

/** Options of {@link userStoreConformance}. */
export interface UserStoreConformanceOptions extends Partial<TestRunner> {
  /** Makes a store whose backend fails (refuses connections or errors on every call). */
  unavailable?: () => Promise<UserStore> | UserStore;
  /**
   * How long a method of the `unavailable` store may take to reject, in milliseconds.
   * @default 2000
   */
  rejectWithinMs?: number;
}

/**
 * Declares a test suite (mocha, Vitest, Jest or node:test) that checks
 * a {@link UserStore} keeps the contract Gatehouse relies on:
 * round trips, one user per email under concurrency, patches, email changes, deletion, and
 * copies instead of shared state. Call it from a test file:
 *
 * ```ts
 * import { userStoreConformance } from "express-gatehouse/testing";
 * userStoreConformance("PostgresUserStore", () => new PostgresUserStore(pool));
 * ```
 *
 * Every test uses fresh random emails, so `makeStore` may return stores over one shared backend.
 * Pass `options.unavailable` (a store on a backend that is down: a closed port, a stopped
 * server) to check that every method rejects, promptly, instead of answering.
 *
 * @param name - The suite title.
 * @param makeStore - Called before each test.
 * @param options - Optional cases that need more than a working store, and the
 *   `{ describe, it, beforeEach }` of your test runner (found by itself under mocha, Jest,
 *   Vitest with globals and node:test).
 */
export function userStoreConformance(name: string, makeStore: () => Promise<UserStore> | UserStore, options: UserStoreConformanceOptions = {}): void {
  const given = options.describe && options.it && options.beforeEach ? (options as TestRunner) : undefined;
  const { describe, it, beforeEach } = testRunner("userStoreConformance", 30_000, given);

  describe(`UserStore conformance: ${name}`, () => {
    let store: UserStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    async function created(overrides: Partial<NewUser> = {}): Promise<UserRecord> {
      const user = await store.create(newUser(overrides));
      assert.ok(user, "create resolved null for a fresh email");
      return user;
    }

    describe("create and find", () => {
      it("round-trips a user through findById and findByEmail", async () => {
        const input = newUser({ name: "Ada Lovelace", emailVerified: true });
        const user = await store.create(input);
        assert.ok(user);
        assert.deepEqual(user, {
          id: user.id,
          email: input.email,
          name: "Ada Lovelace",
          emailVerified: true,
          passwordHash: input.passwordHash,
          createdAt: input.createdAt,
          updatedAt: input.createdAt,
          attributes: {},
        });
        assert.deepEqual(await store.findById(user.id), user);
        assert.deepEqual(await store.findByEmail(input.email), user);
      });

      it("keeps a null name as null", async () => {
        const user = await created({ name: null });
        assert.equal(user.name, null);
        assert.equal((await store.findById(user.id))?.name, null);
        assert.equal((await store.findByEmail(user.email))?.name, null);
      });

      it("gives random, distinct, URL-safe ids", async () => {
        const users = await Promise.all(Array.from({ length: 10 }, () => created()));
        const ids = new Set(users.map((u) => u.id));
        assert.equal(ids.size, 10);
        for (const id of ids) {
          assert.match(id, /^[A-Za-z0-9_-]{16,}$/, `id ${JSON.stringify(id)} is not URL-safe or too short`);
        }
      });

      it("resolves null for unknown ids and emails", async () => {
        assert.equal(await store.findById(randomBytes(16).toString("base64url")), null);
        assert.equal(await store.findByEmail(freshEmail()), null);
      });

      it("refuses a second user with the same email", async () => {
        const first = await created();
        assert.equal(await store.create(newUser({ email: first.email })), null);
        assert.deepEqual(await store.findByEmail(first.email), first);
      });

      it("compares emails byte for byte: case, accents and Unicode forms never collide", async () => {
        const base = randomBytes(6).toString("hex");
        const variants = ["a", "A", "ä", "Ä", "a\u0308", "ß", "ss", "i", "ı", "ﬁ", "fi"].map((v) => `${base}-${v}@example.com`);
        const users = await Promise.all(variants.map((email) => store.create(newUser({ email }))));
        users.forEach((user, i) => assert.ok(user, `${variants[i]} collided with another variant`));
        for (const [i, email] of variants.entries()) {
          assert.equal((await store.findByEmail(email))?.id, users[i]!.id, `findByEmail(${email}) found another user`);
        }
      });

      it("creates exactly one user when 20 creates of one email race", async () => {
        const email = freshEmail();
        const results = await Promise.all(Array.from({ length: 20 }, () => store.create(newUser({ email }))));
        const winners = results.filter((r): r is UserRecord => r !== null);
        assert.equal(winners.length, 1);
        assert.deepEqual(await store.findByEmail(email), winners[0]);
      });
    });

    describe("update", () => {
      it("applies a patch and sets updatedAt, leaving other fields alone", async () => {
        const user = await created({ name: "Ada" });
        const updated = await store.update(user.id, {
          name: "Grace",
          emailVerified: true,
          passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$new",
          updatedAt: user.createdAt + 5000,
        });
        const expected = {
          ...user,
          name: "Grace",
          emailVerified: true,
          passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$new",
          updatedAt: user.createdAt + 5000,
        };
        assert.deepEqual(updated, expected);
        assert.deepEqual(await store.findById(user.id), expected);
        assert.deepEqual(await store.findByEmail(user.email), expected);
      });

      it("changes only updatedAt for an otherwise empty patch", async () => {
        const user = await created();
        const updated = await store.update(user.id, { updatedAt: user.createdAt + 1 });
        assert.deepEqual(updated, { ...user, updatedAt: user.createdAt + 1 });
      });

      it("sets the name back to null", async () => {
        const user = await created({ name: "Ada" });
        const updated = await store.update(user.id, { name: null, updatedAt: user.createdAt + 1 });
        assert.equal(updated?.name, null);
        assert.equal((await store.findById(user.id))?.name, null);
      });

      it("resolves null for an unknown id and creates nothing", async () => {
        const id = randomBytes(16).toString("base64url");
        assert.equal(await store.update(id, { name: "Ghost", updatedAt: 1 }), null);
        assert.equal(await store.findById(id), null);
      });
    });

    describe("changeEmail", () => {
      it("moves the user to the new email and frees the old one", async () => {
        const user = await created();
        const email = freshEmail();
        const changed = await store.changeEmail(user.id, email, user.createdAt + 10);
        assert.deepEqual(changed, { ...user, email, updatedAt: user.createdAt + 10 });
        assert.deepEqual(await store.findByEmail(email), changed);
        assert.deepEqual(await store.findById(user.id), changed);
        assert.equal(await store.findByEmail(user.email), null);
        const newcomer = await store.create(newUser({ email: user.email }));
        assert.ok(newcomer, "the old email could not be registered again");
        assert.deepEqual(await store.findByEmail(user.email), newcomer);
      });

      it("answers email_taken when another user owns the email, changing nothing", async () => {
        const a = await created();
        const b = await created();
        assert.equal(await store.changeEmail(a.id, b.email, a.createdAt + 1), "email_taken");
        assert.deepEqual(await store.findById(a.id), a);
        assert.deepEqual(await store.findByEmail(a.email), a);
        assert.deepEqual(await store.findByEmail(b.email), b);
      });

      it("treats a change to the current email as a no-op", async () => {
        const user = await created();
        const same = await store.changeEmail(user.id, user.email, user.createdAt + 1);
        assert.ok(same && same !== "email_taken");
        assert.equal(same.id, user.id);
        assert.equal(same.email, user.email);
        assert.equal((await store.findByEmail(user.email))?.id, user.id);
      });

      it("resolves null for an unknown id and leaves the email free", async () => {
        const email = freshEmail();
        assert.equal(await store.changeEmail(randomBytes(16).toString("base64url"), email, 1), null);
        assert.equal(await store.findByEmail(email), null);
        assert.ok(await store.create(newUser({ email })), "the email stayed claimed");
      });

      it("lets exactly one of two users racing for one email win, 10 times over", async () => {
        for (let round = 0; round < 10; round++) {
          const [a, b] = await Promise.all([created(), created()]);
          const target = freshEmail();
          const results = await Promise.all([
            store.changeEmail(a.id, target, a.createdAt + 1),
            store.changeEmail(b.id, target, b.createdAt + 1),
          ]);
          const wins = results.filter((r) => r !== null && r !== "email_taken");
          assert.equal(wins.length, 1, `round ${round}: ${wins.length} winners`);
          assert.equal(results.filter((r) => r === "email_taken").length, 1, `round ${round}: no loser`);
          const [winner, loser] = results[0] === "email_taken" ? [b, a] : [a, b];
          assert.equal((await store.findByEmail(target))?.id, winner.id);
          assert.deepEqual(await store.findById(loser.id), loser);
          assert.deepEqual(await store.findByEmail(loser.email), loser);
          assert.equal(await store.findByEmail(winner.email), null);
        }
      });

      it("lets exactly one of a create and a changeEmail racing for one email win", async () => {
        for (let round = 0; round < 10; round++) {
          const user = await created();
          const target = freshEmail();
          const [fresh, changed] = await Promise.all([
            store.create(newUser({ email: target })),
            store.changeEmail(user.id, target, user.createdAt + 1),
          ]);
          const changeWon = changed !== null && changed !== "email_taken";
          assert.equal(Number(fresh !== null) + Number(changeWon), 1, `round ${round}`);
          assert.equal((await store.findByEmail(target))?.id, changeWon ? user.id : fresh?.id);
        }
      });
    });

    describe("delete", () => {
      it("removes the user and frees the email", async () => {
        const user = await created();
        assert.equal(await store.delete(user.id), true);
        assert.equal(await store.findById(user.id), null);
        assert.equal(await store.findByEmail(user.email), null);
        assert.equal(await store.delete(user.id), false);
        assert.ok(await store.create(newUser({ email: user.email })), "the email stayed claimed");
      });

      it("resolves false for an unknown id", async () => {
        assert.equal(await store.delete(randomBytes(16).toString("base64url")), false);
      });

      it("is final when updates race it: no update brings the user back, 10 times over", async () => {
        for (let round = 0; round < 10; round++) {
          const user = await created();
          const updates = Array.from({ length: 5 }, (_, i) => store.update(user.id, { name: `racer ${i}`, updatedAt: user.createdAt + i + 1 }));
          const [deleted] = await Promise.all([store.delete(user.id), ...updates]);
          assert.equal(deleted, true);
          assert.equal(await store.findById(user.id), null, `round ${round}: an update resurrected the user`);
          assert.equal(await store.findByEmail(user.email), null);
          assert.equal(await store.update(user.id, { name: "late", updatedAt: user.createdAt + 9 }), null);
        }
      });
    });

    describe("read-your-writes (what revocation relies on)", () => {
      it("a new password hash is what every read that starts after the update resolves sees, by id and by email", async () => {
        // A sign-in that starts after a reset resolved must verify against the new hash: the
        // credential record's compare-and-create depends on it.
        for (let round = 0; round < 10; round++) {
          const user = await created();
          const passwordHash = `$argon2id$v=19$m=19456,t=2,p=1$round${round}$new`;
          await store.update(user.id, { passwordHash, updatedAt: user.createdAt + 1 });
          const reads = await Promise.all([...Array.from({ length: 5 }, () => store.findById(user.id)), ...Array.from({ length: 5 }, () => store.findByEmail(user.email))]);
          for (const read of reads) assert.equal(read?.passwordHash, passwordHash, `round ${round}: a read saw the old hash`);
        }
      });
    });

    describe("attributes", () => {
      const rich = {
        plan: "pro",
        seats: 3,
        ratio: 0.125,
        big: 9_007_199_254_740_991,
        beta: true,
        nothing: [],
        empty: {},
        nested: { tags: ["a", "ü", "😀"], deep: { x: null, y: [1, [2, { z: "3" }]] } },
        "dotted.key": "ok",
        "with space and ünicode": "ok",
        ["__proto__"]: "a key like any other",
      };

      it("round-trips JSON values of every kind through create, findById and findByEmail", async () => {
        const attributes = JSON.parse(JSON.stringify(rich)) as NonNullable<NewUser["attributes"]>;
        const user = await created({ attributes });
        assert.deepEqual(user.attributes, attributes);
        assert.deepEqual((await store.findById(user.id))?.attributes, attributes);
        assert.deepEqual((await store.findByEmail(user.email))?.attributes, attributes);
        assert.equal(Object.getPrototypeOf((await store.findById(user.id))!.attributes), Object.prototype);
      });

      it("merges a patch key by key: a value sets, null removes, other keys stay", async () => {
        const user = await created({ attributes: { keep: 1, replace: "old", drop: { a: 1 } } });
        const updated = await store.update(user.id, {
          attributes: { replace: ["new"], drop: null, add: { nested: true }, absent: null },
          updatedAt: user.createdAt + 1,
        });
        const expected = { keep: 1, replace: ["new"], add: { nested: true } };
        assert.deepEqual(updated?.attributes, expected);
        assert.deepEqual((await store.findById(user.id))?.attributes, expected);
        assert.deepEqual((await store.findByEmail(user.email))?.attributes, expected);
      });

      it("leaves attributes alone on a patch without them, and keeps them across changeEmail", async () => {
        const user = await created({ attributes: { mfa: { totp: "secret" } } });
        const updated = await store.update(user.id, { name: "Grace", updatedAt: user.createdAt + 1 });
        assert.deepEqual(updated?.attributes, { mfa: { totp: "secret" } });
        const changed = await store.changeEmail(user.id, freshEmail(), user.createdAt + 2);
        assert.ok(changed && changed !== "email_taken");
        assert.deepEqual(changed.attributes, { mfa: { totp: "secret" } });
      });

      it("keeps concurrent patches of different keys (no lost update)", async () => {
        const user = await created();
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.update(user.id, { attributes: { [`k${i}`]: i }, updatedAt: user.createdAt + 1 })),
        );
        const expected = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
        assert.deepEqual((await store.findById(user.id))?.attributes, expected);
      });

      it("gives {} to a user created without attributes, and can remove the last key", async () => {
        const user = await created();
        assert.deepEqual(user.attributes, {});
        await store.update(user.id, { attributes: { only: "one" }, updatedAt: user.createdAt + 1 });
        const emptied = await store.update(user.id, { attributes: { only: null }, updatedAt: user.createdAt + 2 });
        assert.deepEqual(emptied?.attributes, {});
        assert.deepEqual((await store.findById(user.id))?.attributes, {});
      });
    });

    if (options.unavailable) {
      const unavailable = options.unavailable;
      const within = options.rejectWithinMs ?? 2000;
      describe("outage", () => {
        it(`rejects every method within ${within} ms while the backend is down, answering nothing`, async () => {
          const broken = await unavailable();
          const id = randomBytes(16).toString("base64url");
          const calls: Record<string, () => Promise<unknown>> = {
            create: () => broken.create(newUser()),
            findById: () => broken.findById(id),
            findByEmail: () => broken.findByEmail(freshEmail()),
            update: () => broken.update(id, { name: "x", updatedAt: 1 }),
            changeEmail: () => broken.changeEmail(id, freshEmail(), 1),
            delete: () => broken.delete(id),
          };
          for (const [method, call] of Object.entries(calls)) {
            const started = Date.now();
            await assert.rejects(call(), `${method} resolved while the backend is down`);
            const took = Date.now() - started;
            assert.ok(took < within, `${method} took ${took} ms to reject`);
          }
        });
      });
    }

    describe("isolation", () => {
      it("returns copies: mutating a result does not change the store", async () => {
        const user = await created({ name: "Ada", attributes: { nested: { list: ["a"] } } });
        const snapshot = { ...user, attributes: { nested: { list: ["a"] } } };
        const mutate = (u: UserRecord | "email_taken" | null) => {
          assert.ok(u && u !== "email_taken");
          u.name = "Mallory";
          u.emailVerified = true;
          u.passwordHash = "tampered";
          u.attributes.injected = "yes";
          const nested = u.attributes.nested as { list: string[] } | undefined;
          nested?.list.push("tampered");
        };
        mutate(user);
        mutate(await store.findById(snapshot.id));
        mutate(await store.findByEmail(snapshot.email));
        assert.deepEqual(await store.findById(snapshot.id), snapshot);

        const updated = await store.update(snapshot.id, { updatedAt: snapshot.createdAt + 1 });
        mutate(updated);
        const email = freshEmail();
        mutate(await store.changeEmail(snapshot.id, email, snapshot.createdAt + 2));
        assert.deepEqual(await store.findById(snapshot.id), { ...snapshot, email, updatedAt: snapshot.createdAt + 2 });
      });
    });
  });
}

function freshEmail(): string {
  return `user-${randomBytes(8).toString("hex")}@example.com`;
}

function newUser(overrides: Partial<NewUser> = {}): NewUser {
  return {
    email: freshEmail(),
    name: "Ada",
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
    emailVerified: false,
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}
