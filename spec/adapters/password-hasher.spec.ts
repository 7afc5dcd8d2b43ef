import { expect } from "chai";
import { Argon2Hasher, loadArgon2, type Argon2Module } from "../../lib/adapters/argon2-hasher.js";
import { BcryptHasher } from "../../lib/adapters/bcrypt-hasher.js";
import { passwordHasherConformance } from "../../lib/testing/index.js";

const fast = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

passwordHasherConformance("Argon2Hasher", () => new Argon2Hasher(fast));
passwordHasherConformance("BcryptHasher", () => new BcryptHasher({ cost: 10 }));

describe("Argon2Hasher", () => {
  it("loads the installed argon2 package, whose shape matches Argon2Module", async () => {
    const loaded = loadArgon2();
    expect(loaded).to.not.equal(null);
    // A compile-time check too: the real module must satisfy the interface declared for it.
    const real: Argon2Module = await import("argon2");
    expect(loaded?.hash).to.equal(real.hash);
  });

  it("hashes with argon2id and OWASP's parameters by default", async () => {
    const hasher = new Argon2Hasher();
    const hash = await hasher.hash("correct horse battery staple");
    expect(hash).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hasher.needsRehash(hash)).to.equal(false);
    expect(await hasher.verify(hash, "correct horse battery staple")).to.equal(true);
  });

  it("writes the parameters in the reference order and still reads argon2's own order", async () => {
    const hasher = new Argon2Hasher(fast);
    expect(await hasher.hash("pw-pw-pw-pw")).to.match(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[^$]+\$[^$]+$/);
    const raw = await loadArgon2()!.hash("pw-pw-pw-pw", { type: 2, ...fast });
    expect(raw).to.match(/\$m=1024,p=1,t=1\$/);
    expect(await hasher.verify(raw, "pw-pw-pw-pw")).to.equal(true);
    expect(hasher.needsRehash(raw)).to.equal(false);
  });

  it("needs a rehash for hashes made with other parameters or another variant", async () => {
    const strong = new Argon2Hasher();
    const weak = await new Argon2Hasher(fast).hash("pw-pw-pw-pw");
    expect(strong.needsRehash(weak)).to.equal(true);
    expect(new Argon2Hasher({ ...fast, parallelism: 2 }).needsRehash(weak)).to.equal(true);
    expect(new Argon2Hasher(fast).needsRehash(weak)).to.equal(false);

    const argon2i = await loadArgon2()!.hash("pw-pw-pw-pw", { type: 1 as 2, ...fast });
    expect(argon2i.startsWith("$argon2i$")).to.equal(true);
    expect(strong.recognizes(argon2i)).to.equal(true);
    expect(new Argon2Hasher(fast).needsRehash(argon2i)).to.equal(true);
    expect(await new Argon2Hasher(fast).verify(argon2i, "pw-pw-pw-pw")).to.equal(true);
  });

  it("neither recognizes nor asks to rehash bcrypt hashes", async () => {
    const bcryptHash = await new BcryptHasher({ cost: 10 }).hash("pw-pw-pw-pw");
    const hasher = new Argon2Hasher(fast);
    expect(hasher.recognizes(bcryptHash)).to.equal(false);
    expect(hasher.needsRehash(bcryptHash)).to.equal(false);
    expect(await hasher.verify(bcryptHash, "pw-pw-pw-pw")).to.equal(false);
  });

  it("throws TypeError for impossible parameters", () => {
    expect(() => new Argon2Hasher({ memoryCost: 4 })).to.throw(TypeError);
    expect(() => new Argon2Hasher({ timeCost: 0 })).to.throw(TypeError);
    expect(() => new Argon2Hasher({ parallelism: 1.5 })).to.throw(TypeError);
  });

  it("throws a clear Error when argon2 is unavailable", () => {
    expect(() => new Argon2Hasher({}, null)).to.throw(Error, /argon2.*could not be loaded/);
  });
});

describe("BcryptHasher", () => {
  it("uses cost 12 and the $2b$ variant by default", async () => {
    const hasher = new BcryptHasher();
    const hash = await hasher.hash("correct horse battery staple");
    expect(hash.startsWith("$2b$12$")).to.equal(true);
    expect(hasher.needsRehash(hash)).to.equal(false);
  });

  it("needs a rehash for hashes of a lower cost only", async () => {
    const cost10 = await new BcryptHasher({ cost: 10 }).hash("pw-pw-pw-pw");
    const cost11 = await new BcryptHasher({ cost: 11 }).hash("pw-pw-pw-pw");
    const hasher = new BcryptHasher({ cost: 11 });
    expect(hasher.needsRehash(cost10)).to.equal(true);
    expect(hasher.needsRehash(cost11)).to.equal(false);
    expect(new BcryptHasher({ cost: 10 }).needsRehash(cost11)).to.equal(false);
  });

  it("recognizes $2a$, $2b$ and $2y$ hashes and verifies an imported one", async () => {
    const hasher = new BcryptHasher({ cost: 10 });
    const hash = await hasher.hash("imported-password");
    for (const variant of ["$2a$", "$2y$"]) {
      expect(hasher.recognizes(variant + hash.slice(4))).to.equal(true);
    }
    // $2a$/$2b$ hashes of passwords under 72 bytes are interchangeable: an import keeps working.
    expect(await hasher.verify(`$2a$${hash.slice(4)}`, "imported-password")).to.equal(true);
    expect(hasher.recognizes("$argon2id$v=19$m=19456,t=2,p=1$x$y")).to.equal(false);
  });

  it("pre-hashes passwords over 72 bytes instead of truncating them", async () => {
    const hasher = new BcryptHasher({ cost: 10 });
    const exactly72 = "b".repeat(72);
    const hash72 = await hasher.hash(exactly72);
    expect(await hasher.verify(hash72, exactly72)).to.equal(true);
    expect(await hasher.verify(hash72, `${exactly72}b`)).to.equal(false);
  });

  it("throws TypeError for a cost under 10", () => {
    expect(() => new BcryptHasher({ cost: 9 })).to.throw(TypeError);
    expect(() => new BcryptHasher({ cost: 10.5 })).to.throw(TypeError);
    expect(() => new BcryptHasher({ cost: 32 })).to.throw(TypeError);
  });
});
