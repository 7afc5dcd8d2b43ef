import { expect } from "chai";
import * as fc from "fast-check";
import { INVISIBLE, normalizeEmail } from "../../lib/core/email-address.js";
import { checkPassword } from "../../lib/core/password-policy.js";
import { COMMON_PASSWORDS } from "../../lib/core/common-passwords.js";

describe("normalizeEmail: once, and right", () => {
  it("is idempotent over random Unicode: normalize(normalize(x)) = normalize(x)", () => {
    for (const unit of ["grapheme-composite", "binary"] as const) {
      fc.assert(
        fc.property(fc.string({ unit, maxLength: 40 }), (s) => normalizeEmail(normalizeEmail(s)) === normalizeEmail(s)),
        { numRuns: 5_000 },
      );
    }
  });

  it("its result is NFC and lower-case", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-composite", maxLength: 40 }), (s) => {
        const n = normalizeEmail(s);
        return n === n.normalize("NFC") && n === n.toLowerCase();
      }),
      { numRuns: 20_000 },
    );
  });

  it('"T̈om" and "ẗom" are one address, in its NFC form', () => {
    const upper = normalizeEmail("  T\u0308om@Example.COM ");
    expect(upper).to.equal("\u1e97om@example.com");
    expect(normalizeEmail("\u1e97om@example.com")).to.equal(upper);
    expect(normalizeEmail("t\u0308om@example.com")).to.equal(upper);
  });

  it("INVISIBLE finds zero-width, bidi controls and the soft hyphen", () => {
    for (const c of ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\u061c", "\u00ad"]) {
      expect(INVISIBLE.test(`a${c}b@example.com`), c.codePointAt(0)!.toString(16)).to.equal(true);
    }
    expect(INVISIBLE.test("zoë@example.com")).to.equal(false);
  });
});

describe("checkPassword: the rules apply to the string that is hashed (NFKC)", () => {
  const policy = { minLength: 8, maxLength: 128, common: COMMON_PASSWORDS };
  it("a full-width common password is as common as its ASCII form", () => {
    expect(COMMON_PASSWORDS.has("password123")).to.equal(true);
    expect(checkPassword("ｐａｓｓｗｏｒｄ１２３", policy).map((e) => e.code)).to.deep.equal(["PASSWORD_TOO_COMMON"]);
  });
  it("8 code points of decomposed accents are the 4 characters that are hashed: too short", () => {
    expect(checkPassword("e\u0301e\u0301e\u0301e\u0301", policy).map((e) => e.code)).to.deep.equal(["TOO_SHORT"]);
  });
  it("length counts the NFKC form (a ligature that expands is longer)", () => {
    expect(checkPassword("\ufb03\ufb03\ufb03", policy)).to.deep.equal([]); // "ﬃ" x3 is "ffiffiffi"
  });
});
