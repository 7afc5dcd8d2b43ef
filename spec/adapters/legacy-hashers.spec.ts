import { expect } from "chai";
import { randomBytes } from "node:crypto";
import bcrypt from "bcrypt";
import bcryptjs from "bcryptjs";
import argon2 from "argon2";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { BcryptHasher } from "../../lib/adapters/bcrypt-hasher.js";
import { Argon2Hasher } from "../../lib/adapters/argon2-hasher.js";
import { DjangoPbkdf2Hasher, djangoPbkdf2 } from "../../lib/adapters/django-pbkdf2-hasher.js";
import { BetterAuthScryptHasher, betterAuthScrypt } from "../../lib/adapters/better-auth-scrypt-hasher.js";
import { DeviseBcryptHasher, deviseBcrypt } from "../../lib/adapters/devise-bcrypt-hasher.js";
import type { PasswordHasher } from "../../lib/ports/password-hasher.js";
import { resolveOptions } from "../../lib/options.js";

/** better-auth's own hashPassword (packages/better-auth/src/crypto/password.ts), on the same @noble/hashes. */
async function betterAuthHashPassword(password: string): Promise<string> {
  const salt = bytesToHex(randomBytes(16));
  const key = await scryptAsync(password.normalize("NFKC"), salt, { N: 16384, r: 16, p: 1, dkLen: 64, maxmem: 128 * 16384 * 16 * 2 });
  return `${salt}:${bytesToHex(key)}`;
}

/** Every imported format: a verifier, a hash made by the real library (or a documented vector), its password. */
interface Vector {
  format: string;
  hasher: PasswordHasher;
  hash: () => Promise<string>;
  password: string;
  /** A verify-only hasher that always asks for a rehash. */
  legacy: boolean;
}

const PEPPER = "0f4c9a1b2e6d8f7a3c5b9e1d2f4a6c8e";

const vectors: Vector[] = [
  // bcrypt, all three markers.
  { format: "bcrypt $2a$ (bcrypt package)", hasher: new BcryptHasher(), hash: () => bcrypt.hash("hunter2-hunter2", bcrypt.genSaltSync(4, "a")), password: "hunter2-hunter2", legacy: false },
  { format: "bcrypt $2b$ (bcryptjs)", hasher: new BcryptHasher(), hash: () => bcryptjs.hash("hunter2-hunter2", 4), password: "hunter2-hunter2", legacy: false },
  // PHP's password_verify() documentation example.
  { format: "bcrypt $2y$ (PHP manual)", hasher: new BcryptHasher(), hash: async () => "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", password: "rasmuslerdorf", legacy: false },
  // Argon2, every variant and other parameters.
  { format: "argon2i (argon2 package)", hasher: new Argon2Hasher(), hash: () => argon2.hash("lètmein-long", { type: argon2.argon2i, memoryCost: 4096, timeCost: 3, parallelism: 2 }), password: "lètmein-long", legacy: false },
  { format: "argon2d (argon2 package)", hasher: new Argon2Hasher(), hash: () => argon2.hash("lètmein-long", { type: argon2.argon2d, memoryCost: 2048, timeCost: 1, parallelism: 1 }), password: "lètmein-long", legacy: false },
  { format: "argon2id, other parameters (argon2 package)", hasher: new Argon2Hasher(), hash: () => argon2.hash("lètmein-long", { type: argon2.argon2id, memoryCost: 8192, timeCost: 3, parallelism: 4 }), password: "lètmein-long", legacy: false },
  // Django's test suite (tests/auth_tests/test_hashers.py), without Django's "argon2" prefix.
  { format: "argon2i v=19 m=8 (Django's vector)", hasher: new Argon2Hasher(), hash: async () => "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q", password: "secret", legacy: false },
  { format: "argon2i without v= (Django's vector)", hasher: new Argon2Hasher(), hash: async () => "$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg", password: "secret", legacy: false },
  { format: "argon2id m=102400,p=8 (Django's vector)", hasher: new Argon2Hasher(), hash: async () => "$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw", password: "secret", legacy: false },
  // better-auth's scrypt, by its own algorithm on its own scrypt implementation.
  { format: "better-auth scrypt", hasher: betterAuthScrypt(), hash: () => betterAuthHashPassword("correct horse battery"), password: "correct horse battery", legacy: true },
  // Django's PBKDF2 vectors from its test suite (390000 rounds: Django 4.1; 1000000: Django 5).
  { format: "Django pbkdf2_sha256 (test_pbkdf2)", hasher: djangoPbkdf2(), hash: async () => "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", password: "lètmein", legacy: true },
  { format: "Django pbkdf2_sha256 (test_low_level_pbkdf2)", hasher: djangoPbkdf2(), hash: async () => "pbkdf2_sha256$390000$seasalt2$geC/uZ92nRXDSjSxeoiBqYyRcrLzMm8xK3ro1QS1uo8=", password: "lètmein", legacy: true },
  { format: "Django pbkdf2_sha1 (test_low_level_pbkdf2_sha1)", hasher: djangoPbkdf2(), hash: async () => "pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=", password: "lètmein", legacy: true },
  // Devise::Encryptor.digest: bcrypt of password + pepper, $2a$ as Ruby's bcrypt writes it.
  { format: "Devise bcrypt with pepper", hasher: deviseBcrypt({ pepper: PEPPER }), hash: () => bcrypt.hash(`s3cret-devise${PEPPER}`, bcrypt.genSaltSync(4, "a")), password: "s3cret-devise", legacy: true },
];

describe("Imported password hash formats", function () {
  this.timeout(30_000);

  for (const v of vectors) {
    describe(v.format, () => {
      let hash: string;
      before(async () => {
        hash = await v.hash();
      });

      it("is recognized and verifies the right password only", async () => {
        expect(v.hasher.recognizes(hash)).to.equal(true);
        expect(await v.hasher.verify(hash, v.password)).to.equal(true);
        expect(await v.hasher.verify(hash, v.password + "x")).to.equal(false);
      });

      if (v.legacy) {
        it("is verify-only and always asks for a rehash", async () => {
          expect(v.hasher.needsRehash(hash)).to.equal(true);
          let refused = false;
          await v.hasher.hash(v.password).catch(() => (refused = true));
          expect(refused).to.equal(true);
        });

        it("answers false (never throws) for a damaged hash of its format", async () => {
          const damaged = hash.slice(0, -4) + (hash.endsWith("AAAA") ? "BBBB" : "AAAA");
          expect(await v.hasher.verify(damaged, v.password)).to.equal(false);
        });
      }
    });
  }

  it("no legacy hasher claims another's format (or argon2id / bcrypt hashes)", async () => {
    const hashes = {
      django: "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
      betterAuth: await betterAuthHashPassword("x"),
      argon2id: await new Argon2Hasher({ memoryCost: 1024, timeCost: 1 }).hash("x"),
    };
    expect(new DjangoPbkdf2Hasher().recognizes(hashes.betterAuth)).to.equal(false);
    expect(new DjangoPbkdf2Hasher().recognizes(hashes.argon2id)).to.equal(false);
    expect(new BetterAuthScryptHasher().recognizes(hashes.django)).to.equal(false);
    expect(new BetterAuthScryptHasher().recognizes(hashes.argon2id)).to.equal(false);
    expect(new DeviseBcryptHasher({ pepper: "" }).recognizes(hashes.django)).to.equal(false);
    expect(new DeviseBcryptHasher({ pepper: "" }).recognizes(hashes.argon2id)).to.equal(false);
  });

  it("Devise without the pepper does not verify a peppered hash; an empty pepper is plain bcrypt", async () => {
    const peppered = await bcrypt.hash(`pw-pw-pw${PEPPER}`, bcrypt.genSaltSync(4, "a"));
    expect(await deviseBcrypt({ pepper: "" }).verify(peppered, "pw-pw-pw")).to.equal(false);
    expect(await deviseBcrypt({ pepper: "wrong" }).verify(peppered, "pw-pw-pw")).to.equal(false);
    const plain = await bcrypt.hash("pw-pw-pw", bcrypt.genSaltSync(4, "a"));
    expect(await deviseBcrypt({ pepper: "" }).verify(plain, "pw-pw-pw")).to.equal(true);
    expect(() => deviseBcrypt({} as { pepper: string })).to.throw(TypeError);
  });

  it("Django refuses an absurd iteration count instead of stalling the login", async () => {
    const started = Date.now();
    expect(await djangoPbkdf2().verify("pbkdf2_sha256$999999999$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", "lètmein")).to.equal(false);
    expect(Date.now() - started).to.be.below(1000);
  });
});

describe("hashing.legacy", () => {
  const base = { storage: { inMemory: true }, secret: "test-secret-that-is-long-enough-0123456789", appUrl: "http://app.test", logger: { warn: () => {}, error: () => {} } };

  it("takes verify-only hashers, and refuses anything else with a TypeError saying how to fix it", () => {
    expect(resolveOptions({ ...base, hashing: { legacy: [djangoPbkdf2(), betterAuthScrypt()] } }).hashing.legacy).to.have.length(2);
    expect(resolveOptions(base).hashing.legacy).to.deep.equal([]);
    expect(() => resolveOptions({ ...base, hashing: { legacy: djangoPbkdf2() as never } })).to.throw(TypeError, /hashing\.legacy/);
    expect(() => resolveOptions({ ...base, hashing: { legacy: [{}] as never } })).to.throw(TypeError, /hashing\.legacy/);
  });
});
