import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { TokenPurpose, TokenRecord, TokenStore } from "../ports/token-store.js";
import { testRunner, type TestRunner } from "./runner.js";

/** A fixed logical clock: stores must judge expiry by the `now` they are given, not by their own. */
const NOW = 1_700_000_000_000;
const TTL_SECONDS = 3600;

/**
 * Declares a test suite (mocha, Vitest, Jest or node:test) that checks
 * a {@link TokenStore} keeps the contract Gatehouse relies on:
 * round trips, matching on user, purpose and hash, expiry judged at the given `now` (inclusive),
 * single use under concurrency, one live token per user and purpose, revocation, and copies
 * instead of shared state. Call it from a test file:
 *
 * ```ts
 * import { tokenStoreConformance } from "express-gatehouse/testing";
 * tokenStoreConformance("PostgresTokenStore", () => new PostgresTokenStore(pool));
 * ```
 *
 * Every test uses fresh random user ids, so `makeStore` may return stores over one shared backend.
 *
 * @param name - The suite title.
 * @param makeStore - Called before each test.
 * @param runner - `{ describe, it, beforeEach }` of your test runner; found by itself under mocha,
 *   Jest, Vitest with globals and node:test.
 */
export function tokenStoreConformance(name: string, makeStore: () => Promise<TokenStore> | TokenStore, runner?: TestRunner): void {
  const { describe, it, beforeEach } = testRunner("tokenStoreConformance", 30_000, runner);

  describe(`TokenStore conformance: ${name}`, () => {
    let store: TokenStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    async function issued(overrides: Partial<TokenRecord> = {}): Promise<TokenRecord> {
      const record = newRecord(overrides);
      await store.put({ ...record }, TTL_SECONDS);
      return record;
    }

    async function alive(record: TokenRecord): Promise<boolean> {
      return (await store.find(record.userId, record.purpose, record.hash, NOW)) !== null;
    }

    describe("put and find", () => {
      const purposes: TokenPurpose[] = ["verify-email", "reset-password", "change-email"];
      for (const purpose of purposes) {
        it(`round-trips every field of a ${purpose} token`, async () => {
          const record = await issued({ purpose, target: "new+tag@example.com", fingerprint: "fp:Zm9vYmFy" });
          const found = await store.find(record.userId, purpose, record.hash, NOW);
          assert.deepEqual(found, record);
          assert.equal(typeof found?.expiresAt, "number");
        });
      }

      it("round-trips an empty target and fingerprint", async () => {
        const record = await issued({ target: "", fingerprint: "" });
        assert.deepEqual(await store.find(record.userId, record.purpose, record.hash, NOW), record);
      });

      it("resolves null for a wrong hash, purpose or user", async () => {
        const record = await issued({ purpose: "reset-password" });
        assert.equal(await store.find(record.userId, record.purpose, hashOf(randomToken()), NOW), null);
        assert.equal(await store.find(record.userId, record.purpose, "", NOW), null);
        assert.equal(await store.find(record.userId, "verify-email", record.hash, NOW), null);
        assert.equal(await store.find(record.userId, "change-email", record.hash, NOW), null);
        assert.equal(await store.find(freshId(), record.purpose, record.hash, NOW), null);
        assert.equal(await alive(record), true);
      });

      it("resolves null for a user who never had a token", async () => {
        assert.equal(await store.find(freshId(), "verify-email", hashOf(randomToken()), NOW), null);
      });

      it("finds a token up to and including expiresAt, and not a millisecond later", async () => {
        const record = await issued();
        assert.deepEqual(await store.find(record.userId, record.purpose, record.hash, record.expiresAt - 1), record);
        assert.deepEqual(await store.find(record.userId, record.purpose, record.hash, record.expiresAt), record);
        assert.equal(await store.find(record.userId, record.purpose, record.hash, record.expiresAt + 1), null);
      });

      it("does not consume: a token is found twice and can then be consumed", async () => {
        const record = await issued();
        assert.deepEqual(await store.find(record.userId, record.purpose, record.hash, NOW), record);
        assert.deepEqual(await store.find(record.userId, record.purpose, record.hash, NOW), record);
        assert.deepEqual(await store.consume(record.userId, record.purpose, record.hash, NOW), record);
      });
    });

    describe("consume", () => {
      it("returns the record once, then null", async () => {
        const record = await issued();
        assert.deepEqual(await store.consume(record.userId, record.purpose, record.hash, NOW), record);
        assert.equal(await store.consume(record.userId, record.purpose, record.hash, NOW), null);
        assert.equal(await alive(record), false);
      });

      it("gives the record to exactly one of 20 concurrent calls, 5 times over", async () => {
        for (let round = 0; round < 5; round++) {
          const record = await issued();
          const results = await Promise.all(
            Array.from({ length: 20 }, () => store.consume(record.userId, record.purpose, record.hash, NOW)),
          );
          const winners = results.filter((r): r is TokenRecord => r !== null);
          assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
          assert.deepEqual(winners[0], record);
          assert.equal(await alive(record), false);
        }
      });

      it("leaves the token alive after a wrong hash, purpose or user", async () => {
        const record = await issued({ purpose: "change-email" });
        assert.equal(await store.consume(record.userId, record.purpose, hashOf(randomToken()), NOW), null);
        assert.equal(await store.consume(record.userId, "verify-email", record.hash, NOW), null);
        assert.equal(await store.consume(freshId(), record.purpose, record.hash, NOW), null);
        assert.equal(await alive(record), true);
        assert.deepEqual(await store.consume(record.userId, record.purpose, record.hash, NOW), record);
      });

      it("consumes at expiresAt, but not an expired token", async () => {
        const onTime = await issued();
        assert.deepEqual(await store.consume(onTime.userId, onTime.purpose, onTime.hash, onTime.expiresAt), onTime);
        const late = await issued();
        assert.equal(await store.consume(late.userId, late.purpose, late.hash, late.expiresAt + 1), null);
        assert.equal(await store.consume(late.userId, late.purpose, late.hash, late.expiresAt + 60_000), null);
        assert.equal(await store.find(late.userId, late.purpose, late.hash, late.expiresAt + 1), null);
      });
    });

    describe("one live token per user and purpose", () => {
      it("replaces the older token on a second put", async () => {
        const first = await issued({ purpose: "reset-password", target: "old@example.com" });
        const second = await issued({ userId: first.userId, purpose: "reset-password", target: "new@example.com" });
        assert.equal(await store.find(first.userId, first.purpose, first.hash, NOW), null);
        assert.equal(await store.consume(first.userId, first.purpose, first.hash, NOW), null);
        assert.deepEqual(await store.find(second.userId, second.purpose, second.hash, NOW), second);
        assert.deepEqual(await store.consume(second.userId, second.purpose, second.hash, NOW), second);
      });

      it("keeps tokens of other purposes and other users independent", async () => {
        const userId = freshId();
        const verify = await issued({ userId, purpose: "verify-email" });
        const reset = await issued({ userId, purpose: "reset-password" });
        const change = await issued({ userId, purpose: "change-email" });
        const other = await issued({ purpose: "reset-password" });
        // Same hash, other user: the user is part of the match, not just the hash.
        const sameHash = await issued({ purpose: "reset-password", hash: reset.hash });
        for (const record of [verify, reset, change, other, sameHash]) {
          assert.equal(await alive(record), true, `${record.purpose} of ${record.userId}`);
        }

        assert.deepEqual(await store.consume(userId, "reset-password", reset.hash, NOW), reset);
        assert.equal(await alive(verify), true);
        assert.equal(await alive(change), true);
        assert.equal(await alive(other), true);
        assert.equal(await alive(sameHash), true);

        await issued({ userId, purpose: "verify-email" });
        assert.equal(await alive(verify), false);
        assert.equal(await alive(change), true);
        assert.equal(await alive(other), true);
      });
    });

    describe("revoke", () => {
      it("kills exactly the given purposes of the given user", async () => {
        const userId = freshId();
        const verify = await issued({ userId, purpose: "verify-email" });
        const reset = await issued({ userId, purpose: "reset-password" });
        const change = await issued({ userId, purpose: "change-email" });
        const other = await issued({ purpose: "reset-password" });
        await store.revoke(userId, ["reset-password", "change-email"]);
        assert.equal(await alive(reset), false);
        assert.equal(await alive(change), false);
        assert.equal(await store.consume(userId, "reset-password", reset.hash, NOW), null);
        assert.equal(await alive(verify), true);
        assert.equal(await alive(other), true);
      });

      it("is a no-op for an empty list, and for purposes without a token", async () => {
        const record = await issued();
        await store.revoke(record.userId, []);
        await store.revoke(record.userId, ["reset-password", "change-email"]);
        await store.revoke(freshId(), ["verify-email"]);
        assert.deepEqual(await store.find(record.userId, record.purpose, record.hash, NOW), record);
      });

      it("lets a new token be put after a revoke", async () => {
        const first = await issued();
        await store.revoke(first.userId, [first.purpose]);
        const second = await issued({ userId: first.userId });
        assert.deepEqual(await store.consume(second.userId, second.purpose, second.hash, NOW), second);
      });
    });

    describe("isolation", () => {
      it("returns copies and keeps none of the caller's objects", async () => {
        const record = newRecord();
        const snapshot = { ...record };
        await store.put(record, TTL_SECONDS);
        const mutate = (r: TokenRecord | null) => {
          assert.ok(r);
          r.target = "mallory@example.com";
          r.fingerprint = "tampered";
          r.expiresAt = NOW + 1e12;
        };
        mutate(record);
        mutate(await store.find(snapshot.userId, snapshot.purpose, snapshot.hash, NOW));
        assert.deepEqual(await store.find(snapshot.userId, snapshot.purpose, snapshot.hash, NOW), snapshot);
        assert.equal(await store.find(snapshot.userId, snapshot.purpose, snapshot.hash, snapshot.expiresAt + 1), null);
        const consumed = await store.consume(snapshot.userId, snapshot.purpose, snapshot.hash, NOW);
        assert.deepEqual(consumed, snapshot);
      });
    });
  });
}

function freshId(): string {
  return randomBytes(16).toString("base64url");
}

function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

function hashOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

function newRecord(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    purpose: "verify-email",
    userId: freshId(),
    hash: hashOf(randomToken()),
    target: "user@example.com",
    fingerprint: "fp-0123456789abcdef",
    expiresAt: NOW + TTL_SECONDS * 1000,
    ...overrides,
  };
}
