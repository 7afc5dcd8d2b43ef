import { expect } from "chai";
import { Redis } from "ioredis";
import { createHmac } from "node:crypto";
import { authRouter, hs256VerificationKey, type AuthOptions } from "../lib/index.js";
import { resolveOptions } from "../lib/options.js";

const redis = new Redis({ lazyConnect: true });
const ok: AuthOptions = { redis, secret: "s".repeat(32), appUrl: "https://app.example.com" };

describe("options", () => {
  it("derives the HS256 keys with the exported hs256VerificationKey (one derivation, documented in the README)", () => {
    const secrets = ["a".repeat(32), "b".repeat(32)];
    const opts = resolveOptions({ ...ok, secret: secrets, mode: "jwt" });
    if (opts.mode !== "jwt") throw new Error("jwt mode expected");
    expect(opts.jwt.keys.map((k) => Buffer.from(k.verifyKey as Uint8Array).toString("hex"))).to.deep.equal(secrets.map((s) => Buffer.from(hs256VerificationKey(s)).toString("hex")));
    // The README's recipe, spelled out: HMAC-SHA-256 of the label under the secret.
    expect(Buffer.from(hs256VerificationKey(secrets[0]!)).equals(createHmac("sha256", secrets[0]!).update("gatehouse/jwt/hs256").digest())).to.equal(true);
  });

  it("throws a TypeError that says how to fix each misconfiguration", () => {
    const bad: [Partial<AuthOptions> | Record<string, unknown>, RegExp][] = [
      [{ secret: undefined }, /secret is required.*openssl rand/],
      [{ secret: "short" }, /at least 32 bytes/],
      [{ secret: [] }, /secret is required/],
      [{ secret: ["s".repeat(32), "short"] }, /at least 32 bytes/],
      [{ secret: 42 }, /secret/],
      [{ appUrl: undefined }, /appUrl is required/],
      [{ appUrl: "app.example.com" }, /absolute http\(s\) URL/],
      [{ appUrl: "ftp://app.example.com" }, /http or https/],
      [{ redis: undefined }, /redis is required.*enableOfflineQueue/],
      [{ redis: "redis://localhost" }, /redis is required/],
      [{ mode: "oauth" }, /mode/],
      [{ http: { bodyLimit: "16kb" } }, /http.bodyLimit must be an integer/],
      [{ session: { idleTimeout: -1 } }, /session.idleTimeout must be an integer >= 1/],
      [{ session: { sameSite: "none" } }, /sameSite must be "lax" or "strict"/],
      [{ session: { secure: "yes" } }, /session.secure must be true or false/],
      [{ password: { minLength: 10, maxLength: 9 } }, /maxLength must be >= password.minLength/],
      [{ hashing: { bcryptCost: 8 } }, /bcryptCost must be an integer >= 10/],
      [{ hooks: { onLogon: () => {} } }, /hooks.onLogon is not a hook/],
      [{ hooks: { onLogin: "yes" } }, /hooks.onLogin must be a function/],
      [{ mailer: { post: () => {} } }, /mailer must be a nodemailer transport/],
      [{ mail: { templates: { welcome: () => ({}) } } }, /mail.templates.welcome is not a template/],
      [{ mail: { from: "a\r\nBcc: x@evil.test" } }, /mail.from must be a single-line/],
      [{ storage: { keyPrefix: "{app}:" } }, /storage.keyPrefix must be a non-empty string without/],
      [{ keyPrefix: "app:" }, /keyPrefix moved to storage.keyPrefix/],
      [{ verifyEmailRedirect: "/" }, /verifyEmailRedirect moved to mail.verifiedRedirect/],
      [{ secrett: "x" }, /secrett is not an option/],
      [{ mfa: { issuer: "Acme:Corp" } }, /mfa.issuer must be a string of 1 to 64 characters without ":"/],
      [{ mfa: { required: "yes" } }, /mfa.required must be true, false, or a function/],
      [{ mfa: { stepUpWindow: 0 } }, /mfa.stepUpWindow must be an integer >= 1/],
      [{ mfa: { challengeTtl: 3600 } }, /mfa.challengeTtl must be at most 900/],
      [{ mfa: { maxAttempts: 50 } }, /mfa.maxAttempts must be at most 10/],
      [{ mfa: { window: 2 } }, /mfa.window is not an option/],
      [{ mfa: true }, /mfa must be an object/],
      [{ hooks: { onMfaEnable: () => {} } }, /hooks.onMfaEnable is not a hook/],
      [{ storage: { timeoutMs: 0 } }, /storage.timeoutMs must be an integer >= 1/],
      // A hasher that lacks a method the port needs is refused now, not at the first login (which would answer 500).
      [{ hashing: { hasher: { name: "x", hash: async () => "", verify: async () => true } } }, /hashing.hasher must implement PasswordHasher.*lacks recognizes, needsRehash/],
      [{ hashing: { hasher: { hash: async () => "", verify: async () => true, recognizes: () => true, needsRehash: () => false } } }, /lacks name/],
      [{ storage: { users: { findById: async () => null } } }, /storage.users must implement create, findByEmail, update, changeEmail, delete/],
      [{ http: { trustedOrigins: "https://x.test" } }, /trustedOrigins must be an array/],
      [{ appUrl: "http://app.test", session: { cookieName: "__Host-sid" } }, /__Host-/],
    ];
    for (const [patch, message] of bad) {
      expect(() => authRouter({ ...ok, ...patch } as AuthOptions), JSON.stringify(patch)).to.throw(TypeError, message);
    }
  });

  it("fills in the documented defaults", () => {
    const o = resolveOptions(ok);
    if (o.mode !== "session") throw new Error("session mode is the default");
    expect(o.storage.backend).to.deep.include({ kind: "redis", keyPrefix: "gh:" });
    expect(o.storage.timeoutMs).to.equal(1500);
    expect(o.http.bodyLimit).to.equal(16384);
    expect(o.mail.linkTtl).to.deep.equal({ verifyEmail: 86400, resetPassword: 3600, confirmEmailChange: 3600 });
    expect(o.session).to.deep.include({ idleTimeout: 1800, absoluteTimeout: 43200, touchAfter: 60, secure: true, sameSite: "lax", cookieName: "__Host-gh.sid" });
    expect(o.password).to.deep.include({ minLength: 8, maxLength: 128 });
    expect(o.hashing.argon2).to.deep.equal({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(o.hashing.bcryptCost).to.equal(12);
    expect(o.signInOnRegister).to.equal(false);
    const local = resolveOptions({ ...ok, appUrl: "http://localhost:3000" });
    expect(local.mode === "session" && local.session).to.deep.include({ secure: false, cookieName: "gh.sid" });
  });

  it("accepts rotated secrets and in-memory mode without redis", () => {
    expect(() => authRouter({ secret: ["a".repeat(32), "b".repeat(40)], appUrl: "http://localhost", storage: { inMemory: true } })).to.not.throw();
  });
});
