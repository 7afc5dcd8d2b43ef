import { expect } from "chai";
import { generateSecret, generateSync } from "otplib";
import { base32Decode, base32Encode, hotp, matchingStep, otpauthUri, timeStep } from "../../lib/core/totp.js";
import { SecretBox } from "../../lib/core/secret-box.js";

/** RFC 6238 appendix B, SHA-1 rows: (time in seconds, 8-digit code). */
const RFC6238_SHA1: [number, string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

describe("TOTP (lib/core/totp.ts)", () => {
  it("matches the RFC 6238 test vectors", () => {
    const key = Buffer.from("12345678901234567890", "ascii");
    for (const [t, code] of RFC6238_SHA1) expect(hotp(key, timeStep(t * 1000), 8), `t=${t}`).to.equal(code);
  });

  it("agrees with otplib on random secrets and times", () => {
    for (let i = 0; i < 50; i++) {
      const secret = generateSecret();
      const epoch = Math.floor(Math.random() * 4e9);
      const expected = generateSync({ secret, epoch });
      expect(hotp(base32Decode(secret), timeStep(epoch * 1000)), secret).to.equal(expected);
      expect(matchingStep(base32Decode(secret), expected, epoch * 1000)).to.equal(timeStep(epoch * 1000));
    }
  });

  it("accepts the neighbouring steps (±1) and nothing further", () => {
    const secret = generateSecret();
    const key = base32Decode(secret);
    const now = 1_800_000_000_000;
    const step = timeStep(now);
    for (const d of [-1, 0, 1]) expect(matchingStep(key, generateSync({ secret, epoch: (step + d) * 30 }), now)).to.equal(step + d);
    for (const d of [-3, -2, 2, 3]) expect(matchingStep(key, generateSync({ secret, epoch: (step + d) * 30 }), now)).to.equal(null);
    expect(matchingStep(key, "12345", now)).to.equal(null);
    expect(matchingStep(key, "abcdef", now)).to.equal(null);
  });

  it("round-trips base32 and builds an otpauth URI apps read", () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255, 7, 9, 100, 33, 44]);
    expect(base32Decode(base32Encode(bytes))).to.deep.equal(bytes);
    expect(base32Encode(Buffer.from("foobar"))).to.equal("MZXW6YTBOI");
    const uri = new URL(otpauthUri("JBSWY3DPEHPK3PXP", "My App", "ada@example.com"));
    expect(uri.protocol).to.equal("otpauth:");
    expect(uri.searchParams.get("secret")).to.equal("JBSWY3DPEHPK3PXP");
    expect(uri.searchParams.get("issuer")).to.equal("My App");
    expect(decodeURIComponent(uri.pathname)).to.contain("My App:ada@example.com");
  });
});

describe("SecretBox (secrets at rest)", () => {
  const A = "a".repeat(32);
  const B = "b".repeat(32);
  it("opens what it sealed, only for the same context, and follows secret rotation", () => {
    const box = new SecretBox([A], "mfa/totp-secret");
    const sealed = box.seal(Buffer.from("hello"), "user-1");
    expect(sealed).to.not.contain("hello");
    expect(box.open(sealed, "user-1")?.toString()).to.equal("hello");
    expect(box.open(sealed, "user-2"), "bound to its user").to.equal(null);
    const rotated = new SecretBox([B, A], "mfa/totp-secret");
    expect(rotated.open(sealed, "user-1")?.toString(), "an older secret still opens").to.equal("hello");
    const resealed = rotated.seal(Buffer.from("hello"), "user-1");
    expect(new SecretBox([B], "mfa/totp-secret").open(resealed, "user-1")?.toString(), "the first secret seals").to.equal("hello");
    expect(new SecretBox([A], "mfa/totp-secret").open(resealed, "user-1")).to.equal(null);
    expect(new SecretBox([A], "another purpose").open(sealed, "user-1"), "a key per purpose").to.equal(null);
  });
});
