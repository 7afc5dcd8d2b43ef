import { expect } from "chai";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { BcryptHasher } from "../../lib/adapters/bcrypt-hasher.js";
import { djangoPbkdf2 } from "../../lib/adapters/django-pbkdf2-hasher.js";
import { importUsers } from "../../lib/core/user-import.js";
import type { UserStore } from "../../lib/ports/user-store.js";
import { AuthError } from "../../lib/errors.js";

const DJANGO = "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=";
const BCRYPT = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";
const hashers = [djangoPbkdf2(), new BcryptHasher()];

describe("importUsers", () => {
  it("creates users with normalized emails and reports each record: created, duplicate, invalid", async () => {
    const store = new MemoryUserStore();
    const report = await importUsers(
      store,
      [
        { email: "  Ada@Example.COM ", passwordHash: DJANGO, name: "Ada", emailVerified: true, createdAt: 1_600_000_000_000, attributes: { djangoId: 7 } },
        { email: "ada@example.com", passwordHash: BCRYPT },
        { email: "not-an-email", passwordHash: BCRYPT },
        { email: "zero\u200bwidth@example.com", passwordHash: BCRYPT },
        { email: "two@@example.com", passwordHash: BCRYPT },
        { email: "grace@example.com", passwordHash: "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3" },
        { email: "grace@example.com", passwordHash: BCRYPT, name: "  " },
      ],
      { hashers, now: () => 1_700_000_000_000 },
    );
    expect(report).to.deep.include({ created: 2, duplicates: 1, invalid: 4 });
    expect(report.results.map((r) => r.status)).to.deep.equal(["created", "duplicate", "invalid", "invalid", "invalid", "invalid", "created"]);
    const ada = await store.findByEmail("ada@example.com");
    expect(ada).to.deep.include({ name: "Ada", emailVerified: true, passwordHash: DJANGO, createdAt: 1_600_000_000_000, attributes: { djangoId: 7 } });
    const grace = await store.findByEmail("grace@example.com");
    expect(grace).to.deep.include({ name: null, emailVerified: false, createdAt: 1_700_000_000_000, attributes: {} });
    const hashProblem = report.results[5];
    expect(hashProblem).to.deep.include({ status: "invalid" });
    expect((hashProblem as { reason: string }).reason).to.match(/hash/);
  });

  it("can run again after an interruption: users already there are duplicates, never overwritten", async () => {
    const store = new MemoryUserStore();
    const records = [{ email: "a@example.com", passwordHash: BCRYPT }, { email: "b@example.com", passwordHash: DJANGO }];
    await importUsers(store, records.slice(0, 1), { hashers });
    const report = await importUsers(store, records, { hashers });
    expect(report.results.map((r) => r.status)).to.deep.equal(["duplicate", "created"]);
  });

  it("rejects on a store failure instead of reporting it as a record's fault", async () => {
    const failing = { create: async () => Promise.reject(new AuthError("SERVICE_UNAVAILABLE")) } as unknown as UserStore;
    let err: unknown;
    await importUsers(failing, [{ email: "a@example.com", passwordHash: BCRYPT }], { hashers }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(AuthError);
  });

  it("needs the hashers (a TypeError otherwise)", async () => {
    let err: unknown;
    await importUsers(new MemoryUserStore(), [], { hashers: [] }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(TypeError);
  });
});
