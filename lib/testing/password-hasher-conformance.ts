import assert from "node:assert/strict";
import type { PasswordHasher } from "../ports/password-hasher.js";
import { testRunner, type TestRunner } from "./runner.js";

/**
 * Declares a test suite (mocha, Vitest, Jest or node:test) that checks
 * a {@link PasswordHasher}: salted hashes, exact matching of
 * every byte of long and unusual passwords (no silent truncation), `false` rather than an
 * exception for malformed hashes, and `recognizes` / `needsRehash` on its own hashes. Call it
 * from a test file:
 *
 * ```ts
 * import { passwordHasherConformance } from "express-gatehouse/testing";
 * passwordHasherConformance("ScryptHasher", () => new ScryptHasher());
 * ```
 *
 * @param name - The suite title.
 * @param makeHasher - Called before each test.
 * @param runner - `{ describe, it, beforeEach }` of your test runner; found by itself under mocha,
 *   Jest, Vitest with globals and node:test.
 */
export function passwordHasherConformance(name: string, makeHasher: () => PasswordHasher, runner?: TestRunner): void {
  const { describe, it, beforeEach } = testRunner("passwordHasherConformance", 60_000, runner);

  describe(`PasswordHasher conformance: ${name}`, () => {
    let hasher: PasswordHasher;

    beforeEach(() => {
      hasher = makeHasher();
    });

    it("has a name", () => {
      assert.equal(typeof hasher.name, "string");
      assert.ok(hasher.name.length > 0);
    });

    it("hashes to something other than the password and verifies it", async () => {
      const hash = await hasher.hash("correct horse battery staple");
      assert.equal(typeof hash, "string");
      assert.notEqual(hash, "correct horse battery staple");
      assert.ok(!hash.includes("correct horse"), "the hash contains the password");
      assert.equal(await hasher.verify(hash, "correct horse battery staple"), true);
      assert.equal(await hasher.verify(hash, "correct horse battery stapler"), false);
      assert.equal(await hasher.verify(hash, ""), false);
    });

    it("salts: two hashes of one password differ and both verify", async () => {
      const [a, b] = await Promise.all([hasher.hash("hunter2hunter2"), hasher.hash("hunter2hunter2")]);
      assert.notEqual(a, b);
      assert.equal(await hasher.verify(a, "hunter2hunter2"), true);
      assert.equal(await hasher.verify(b, "hunter2hunter2"), true);
    });

    it("is case-sensitive", async () => {
      const hash = await hasher.hash("CaseSensitive1");
      assert.equal(await hasher.verify(hash, "casesensitive1"), false);
      assert.equal(await hasher.verify(hash, "cASEsENSITIVE1"), false);
    });

    const unusual: [string, string][] = [
      ["accented and non-Latin letters", "pässwörd Ünïcödé пароль 密码"],
      ["emoji", "🔐🦄 horse 🐎 staple"],
      ["spaces, leading and trailing", "  spaced   out  "],
      ["a NUL byte inside", "before\u0000after"],
    ];
    for (const [what, password] of unusual) {
      it(`matches a password with ${what} exactly`, async () => {
        const hash = await hasher.hash(password);
        assert.equal(await hasher.verify(hash, password), true);
        assert.equal(await hasher.verify(hash, password.slice(0, -1)), false);
        assert.equal(await hasher.verify(hash, `${password}x`), false);
      });
    }

    it("does not let the text after a NUL byte be ignored", async () => {
      const hash = await hasher.hash("prefix\u0000secret-one");
      assert.equal(await hasher.verify(hash, "prefix\u0000secret-two"), false);
      assert.equal(await hasher.verify(hash, "prefix"), false);
    });

    it("uses every byte of a 512-byte password (128 emoji)", async () => {
      const emoji = ["😀", "🔑", "🦊", "🌍"];
      const password = Array.from({ length: 128 }, (_, i) => emoji[i % emoji.length]).join("");
      assert.equal(Buffer.byteLength(password), 512);
      const prefix72 = Buffer.from(password).subarray(0, 72).toString("utf8");
      assert.equal(Buffer.byteLength(prefix72), 72);
      const hash = await hasher.hash(password);
      assert.equal(await hasher.verify(hash, password), true);
      assert.equal(await hasher.verify(hash, prefix72), false);
      assert.equal(await hasher.verify(hash, `${password}!`), false);
    });

    it("tells apart long passwords that share their first 72 bytes", async () => {
      const head = "a".repeat(72);
      const hash = await hasher.hash(`${head}-tail-one`);
      assert.equal(await hasher.verify(hash, `${head}-tail-one`), true);
      assert.equal(await hasher.verify(hash, `${head}-tail-two`), false);
      assert.equal(await hasher.verify(hash, head), false);
    });

    it("resolves false, never throws, for malformed hashes", async () => {
      const garbage = [
        "",
        "garbage",
        "$",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$bm9wZQ$",
        "$2b$12$",
        "$2b$12$tooshort",
        "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA",
        "\u0000\u0000",
      ];
      for (const hash of garbage) {
        assert.equal(await hasher.verify(hash, "password"), false, `verify(${JSON.stringify(hash)})`);
      }
    });

    it("recognizes its own hashes and needs no rehash of a fresh one", async () => {
      const hash = await hasher.hash("recognize me please");
      assert.equal(hasher.recognizes(hash), true);
      assert.equal(hasher.needsRehash(hash), false);
      assert.equal(hasher.recognizes("plainly not a hash"), false);
    });
  });
}
