import { expect } from "chai";
import { sql } from "kysely";
import { isAuthError } from "../../lib/errors.js";
import { kyselyFromUrl, type AnyKysely, type SqlDialectName } from "../../lib/adapters/sql-database.js";
import { migrate, migrationStatus } from "../../lib/adapters/sql-migrations.js";
import { SqlUserStore } from "../../lib/adapters/sql-user-store.js";
import { userStoreConformance } from "../../lib/testing/index.js";
import type { NewUser } from "../../lib/types.js";
import { createTestDatabase, TcpProxy, type TestDatabase } from "../helpers/sql.js";

let counter = 0;
const newUser = (overrides: Partial<NewUser> = {}): NewUser => ({
  email: `sql-${Date.now()}-${++counter}@example.com`,
  name: "Ada",
  passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
  emailVerified: false,
  createdAt: 1_700_000_000_000,
  ...overrides,
});

for (const dialect of ["postgres", "mysql", "sqlite"] as const satisfies readonly SqlDialectName[]) {
  describe(`SqlUserStore on ${dialect}`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let db: AnyKysely;
    const opened: AnyKysely[] = [];

    before(async function () {
      const created = await createTestDatabase(dialect);
      if (!created) {
        console.log(`      (skipped: no ${dialect} server at its test URL; see spec/helpers/sql.ts)`);
        this.skip();
      }
      database = created;
      db = kyselyFromUrl(database.url);
      expect(await migrate(db)).to.deep.equal(["001-users.sql"]);
    });

    after(async () => {
      for (const k of opened) await k.destroy().catch(() => {});
      await db?.destroy();
      await database?.drop();
    });

    userStoreConformance(
      `SqlUserStore (${dialect})`,
      () => new SqlUserStore(db),
      dialect === "sqlite"
        ? {
            // No server to be absent: a database whose driver is closed rejects every query.
            unavailable: async () => {
              const broken = kyselyFromUrl(database.url);
              // Opened, then closed (Kysely ignores destroy() before its first query).
              await sql`select 1`.execute(broken);
              await broken.destroy();
              return new SqlUserStore(broken);
            },
          }
        : {
            // A port where nothing listens: the connection is refused.
            unavailable: () => {
              const broken = kyselyFromUrl(database.urlVia("127.0.0.1", 1));
              opened.push(broken);
              return new SqlUserStore(broken);
            },
          },
    );

    describe("migrations", () => {
      it("are idempotent and recorded: a second run applies nothing, status lists what is applied", async () => {
        expect(await migrate(db)).to.deep.equal([]);
        const status = await migrationStatus(db);
        expect(status.map((s) => s.name)).to.deep.equal(["001-users.sql"]);
        expect(status[0]!.appliedAt).to.be.a("number");
      });

      it("report every shipped migration pending on an empty database", async () => {
        const other = await createTestDatabase(dialect);
        const k = kyselyFromUrl(other!.url);
        try {
          expect(await migrationStatus(k)).to.deep.equal([{ name: "001-users.sql", appliedAt: null }]);
        } finally {
          await k.destroy();
          await other!.drop();
        }
      });
    });

    describe("schema", () => {
      it("keeps the normalized email in its own column under a unique binary index", async () => {
        const store = new SqlUserStore(db);
        const user = await store.create(newUser({ attributes: { plan: "pro" } }));
        const row = await db.selectFrom("gatehouse_users").selectAll().where("id", "=", user!.id).executeTakeFirstOrThrow();
        expect(row.email_normalized).to.equal(user!.email);
        expect(JSON.parse(row.attributes as string)).to.deep.equal({ plan: "pro" });
        // The index itself refuses a duplicate, whoever writes.
        let refused = false;
        try {
          await db.insertInto("gatehouse_users").values({ ...row, id: "another-id-another-id-1" }).execute();
        } catch {
          refused = true;
        }
        expect(refused, "the unique index let a duplicate email in").to.equal(true);
      });

      it("reads a row whose attributes are NULL (written by another tool) as {}", async () => {
        const store = new SqlUserStore(db);
        const user = await store.create(newUser());
        if (dialect !== "postgres" && dialect !== "sqlite") {
          await db.updateTable("gatehouse_users").set({ attributes: null }).where("id", "=", user!.id).execute();
          expect((await store.findById(user!.id))?.attributes).to.deep.equal({});
        }
        await db.updateTable("gatehouse_users").set({ attributes: "" }).where("id", "=", user!.id).execute();
        expect((await store.findById(user!.id))?.attributes).to.deep.equal({});
      });
    });

    describe("an existing table of the app", () => {
      const table = "app_users";
      before(async () => {
        const idType = dialect === "mysql" ? "VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin" : "TEXT";
        const emailType = dialect === "mysql" ? "VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" : dialect === "postgres" ? 'TEXT COLLATE "C"' : "TEXT";
        const text = dialect === "mysql" ? "TEXT" : "TEXT";
        await sql
          .raw(
            `CREATE TABLE ${table} (
              user_id ${idType} NOT NULL PRIMARY KEY,
              mail ${dialect === "mysql" ? "VARCHAR(254)" : "TEXT"} NOT NULL,
              mail_lower ${emailType} NOT NULL,
              display_name ${text},
              confirmed ${dialect === "postgres" ? "BOOLEAN" : "INTEGER"} NOT NULL,
              encrypted_password ${text} NOT NULL,
              inserted_ms BIGINT NOT NULL,
              changed_ms BIGINT NOT NULL,
              extra_json ${text},
              favourite_colour ${text} ${dialect === "mysql" ? "" : "DEFAULT 'blue'"},
              UNIQUE (mail_lower)
            )`,
          )
          .execute(db);
      });

      const mapped = () =>
        new SqlUserStore(db, {
          table,
          columns: {
            id: "user_id",
            email: "mail",
            emailNormalized: "mail_lower",
            name: "display_name",
            emailVerified: "confirmed",
            passwordHash: "encrypted_password",
            createdAt: "inserted_ms",
            updatedAt: "changed_ms",
            attributes: "extra_json",
          },
        });

      userStoreConformance(`SqlUserStore (${dialect}, mapped onto ${table})`, mapped);

      it("leaves the app's other columns alone and reads rows the app wrote", async () => {
        const store = mapped();
        await db
          .insertInto(table)
          .values({
            user_id: "app-row-app-row-app-row-1",
            mail: "Grace@Example.com",
            mail_lower: "grace@example.com",
            display_name: "Grace",
            confirmed: dialect === "postgres" ? true : 1,
            encrypted_password: "$2b$10$abcdefghijklmnopqrstuu",
            inserted_ms: 1_600_000_000_000,
            changed_ms: 1_600_000_000_000,
            extra_json: null,
            favourite_colour: "green",
          })
          .execute();
        const user = await store.findByEmail("grace@example.com");
        expect(user).to.deep.include({ id: "app-row-app-row-app-row-1", email: "grace@example.com", emailVerified: true, attributes: {} });
        await store.update(user!.id, { name: "Grace H.", attributes: { a: 1 }, updatedAt: 1_600_000_000_001 });
        const row = await db.selectFrom(table).selectAll().where("user_id", "=", user!.id).executeTakeFirstOrThrow();
        expect(row.favourite_colour).to.equal("green");
        expect(row.display_name).to.equal("Grace H.");
      });
    });

    describe("failures", () => {
      it("reject with SERVICE_UNAVAILABLE on a missing table, never a wrong answer", async () => {
        const store = new SqlUserStore(db, { table: "no_such_table" });
        for (const call of [() => store.findByEmail("x@example.com"), () => store.create(newUser()), () => store.delete("x")]) {
          const err = await call().then(() => null, (e: unknown) => e);
          expect(isAuthError(err) && err.code === "SERVICE_UNAVAILABLE", String(err)).to.equal(true);
        }
      });
    });

    if (dialect !== "sqlite") {
      describe("outage through a TCP proxy that is cut", () => {
        let proxy: TcpProxy;
        let viaProxy: AnyKysely;
        before(async () => {
          proxy = await new TcpProxy(database.host, database.port).start();
          viaProxy = kyselyFromUrl(database.urlVia("127.0.0.1", proxy.port));
        });
        after(async () => {
          await viaProxy?.destroy().catch(() => {});
          await proxy?.close();
        });

        for (const kind of ["cut", "stall"] as const) {
          it(`${kind}: every call rejects within 2 s, nothing is half-written, and service resumes by itself`, async () => {
            const store = new SqlUserStore(viaProxy);
            const before = await store.create(newUser());
            expect(before).to.not.equal(null);
            kind === "cut" ? proxy.cut() : proxy.stall();
            const lost = newUser();
            const calls = [
              () => store.create(lost),
              () => store.findById(before!.id),
              () => store.update(before!.id, { name: "Changed", attributes: { x: 1 }, updatedAt: 2 }),
              () => store.changeEmail(before!.id, `moved-${lost.email}`, 3),
              () => store.delete(before!.id),
            ];
            for (const call of calls) {
              const started = Date.now();
              const err = await call().then(() => null, (e: unknown) => e);
              expect(Date.now() - started, "took too long to reject").to.be.below(2000);
              expect(isAuthError(err) && err.code === "SERVICE_UNAVAILABLE", String(err)).to.equal(true);
            }
            proxy.restore();
            // The direct connection sees what a client sees once the database is back.
            const direct = new SqlUserStore(db);
            const lostRow = await direct.findByEmail(lost.email);
            const stored = await direct.findById(before!.id);
            // A statement that reached the server before the cut is whole or absent, never half.
            if (lostRow) expect(lostRow).to.deep.include({ email: lost.email, name: lost.name, attributes: {} });
            expect(stored).to.not.equal(null);
            expect([before!.email, `moved-${lost.email}`]).to.include(stored!.email);
            let resumed = false;
            for (let i = 0; i < 20 && !resumed; i++) {
              resumed = await store.findById(before!.id).then(
                (u) => u !== null,
                () => false,
              );
              if (!resumed) await new Promise((r) => setTimeout(r, 100));
            }
            expect(resumed, "the store did not recover after the proxy was restored").to.equal(true);
          });
        }
      });
    }
  });
}

describe("migrate({ usersTable })", () => {
  it("creates the users table under another name, with its own unique index, for a store with that table", async () => {
    const database = (await createTestDatabase("sqlite"))!;
    const db = kyselyFromUrl(database.url);
    try {
      expect(await migrate(db, { usersTable: "auth_users", table: "auth_migrations" })).to.deep.equal(["001-users.sql"]);
      const store = new SqlUserStore(db, { table: "auth_users" });
      const user = await store.create(newUser());
      expect(await store.create(newUser({ email: user!.email }))).to.equal(null);
      const tables = (await db.introspection.getTables()).map((t) => t.name);
      expect(tables).to.include.members(["auth_users", "auth_migrations"]);
      expect(tables).to.not.include("gatehouse_users");
      let refused = false;
      await migrate(db, { usersTable: "bad name; drop table x" }).catch(() => (refused = true));
      expect(refused).to.equal(true);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
