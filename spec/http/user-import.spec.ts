import { expect } from "chai";
import { randomBytes } from "node:crypto";
import bcrypt from "bcrypt";
import bcryptjs from "bcryptjs";
import argon2 from "argon2";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { importUsers } from "../../lib/core/user-import.js";
import { BcryptHasher } from "../../lib/adapters/bcrypt-hasher.js";
import { djangoPbkdf2 } from "../../lib/adapters/django-pbkdf2-hasher.js";
import { betterAuthScrypt } from "../../lib/adapters/better-auth-scrypt-hasher.js";
import { deviseBcrypt } from "../../lib/adapters/devise-bcrypt-hasher.js";
import type { PasswordHasher } from "../../lib/ports/password-hasher.js";
import { fastHasher, makeApp } from "../helpers/app.js";
import { Client, MODES } from "../helpers/client.js";

const PEPPER = "devise-pepper-from-config-initializers";

/** A user exported from another system: its hash (made by that system's library or its test vectors) and password. */
interface Exported {
  from: string;
  hash: () => Promise<string>;
  password: string;
  legacy: PasswordHasher[];
}

const made = new Map<Exported, Promise<string>>();
/** Each hash is made once and imported in both modes (better-auth's scrypt in JS is slow). */
const hashOf = (user: Exported) => made.get(user) ?? made.set(user, user.hash()).get(user)!;

const exported: Exported[] = [
  { from: "Passport-local / Auth.js (bcrypt $2a$)", hash: () => bcrypt.hash("passport-password", bcrypt.genSaltSync(4, "a")), password: "passport-password", legacy: [] },
  { from: "bcryptjs ($2b$)", hash: () => bcryptjs.hash("bcryptjs-password", 4), password: "bcryptjs-password", legacy: [] },
  { from: "PHP ($2y$, the manual's example)", hash: async () => "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", password: "rasmuslerdorf", legacy: [] },
  { from: "argon2i", hash: () => argon2.hash("argon2i-password", { type: argon2.argon2i, memoryCost: 2048, timeCost: 2, parallelism: 1 }), password: "argon2i-password", legacy: [] },
  { from: "argon2d", hash: () => argon2.hash("argon2d-password", { type: argon2.argon2d, memoryCost: 2048, timeCost: 2, parallelism: 1 }), password: "argon2d-password", legacy: [] },
  { from: "argon2id, other parameters", hash: () => argon2.hash("argon2id-password", { type: argon2.argon2id, memoryCost: 4096, timeCost: 3, parallelism: 2 }), password: "argon2id-password", legacy: [] },
  {
    from: "better-auth (scrypt)",
    hash: async () => {
      const salt = bytesToHex(randomBytes(16));
      const key = await scryptAsync("better-auth-password".normalize("NFKC"), salt, { N: 16384, r: 16, p: 1, dkLen: 64, maxmem: 128 * 16384 * 16 * 2 });
      return `${salt}:${bytesToHex(key)}`;
    },
    password: "better-auth-password",
    legacy: [betterAuthScrypt()],
  },
  { from: "Django (pbkdf2_sha256, its test vector)", hash: async () => "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", password: "lètmein", legacy: [djangoPbkdf2()] },
  { from: "Devise (bcrypt of password + pepper)", hash: () => bcrypt.hash(`devise-password${PEPPER}`, bcrypt.genSaltSync(4, "a")), password: "devise-password", legacy: [deviseBcrypt({ pepper: PEPPER })] },
];

for (const mode of MODES) {
  describe(`[${mode}] Users imported with their old password hashes`, function () {
    this.timeout(30_000);

    for (const user of exported) {
      it(`${user.from}: signs in once with the old password, which leaves an argon2id hash`, async () => {
        const hasher = fastHasher();
        const { app, auth } = await makeApp({ mode, hashing: { hasher, legacy: user.legacy } });
        const email = `Imported-${randomBytes(4).toString("hex")}@Example.com`;
        const oldHash = await hashOf(user);
        const report = await importUsers(auth.users, [{ email, name: "Imported", emailVerified: true, passwordHash: oldHash }], {
          hashers: [hasher, ...user.legacy, new BcryptHasher()],
        });
        expect(report).to.deep.include({ created: 1, duplicates: 0, invalid: 0 });
        const normalized = email.toLowerCase();

        const wrong = await new Client(app, mode).login(normalized, user.password + "!");
        expect(wrong.status).to.equal(401);
        expect(wrong.body.code).to.equal("INVALID_CREDENTIALS");
        expect((await auth.users.findByEmail(normalized))!.passwordHash, "a failed login changed the hash").to.equal(oldHash);

        const first = new Client(app, mode);
        const res = await first.login(email, user.password);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.user).to.include({ email: normalized, name: "Imported", emailVerified: true });
        expect((await first.get("/auth/me")).status).to.equal(200);

        const stored = await auth.users.findByEmail(normalized);
        expect(stored!.passwordHash).to.match(/^\$argon2id\$/);
        expect(stored!.passwordHash).to.not.equal(oldHash);
        expect(await hasher.verify(stored!.passwordHash, user.password.normalize("NFKC"))).to.equal(true);

        // The new hash is the one that counts from now on.
        const again = await new Client(app, mode).login(normalized, user.password);
        expect(again.status).to.equal(200);
        expect((await auth.users.findByEmail(normalized))!.passwordHash).to.equal(stored!.passwordHash);
      });
    }
  });
}
