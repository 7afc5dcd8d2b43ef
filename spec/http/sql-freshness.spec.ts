import { expect } from "chai";
import { migrate } from "../../lib/adapters/sql-migrations.js";
import { SqlUserStore } from "../../lib/adapters/sql-user-store.js";
import { makeApp, PASSWORD, register } from "../helpers/app.js";
import { MODES, signIn } from "../helpers/client.js";
import { countingKysely, createTestDatabase, type TestDatabase } from "../helpers/sql.js";

// The freshness rule of users in SQL: a protected request reads Redis only (the session, or the
// access token's family), never the user store, so SQL latency or an SQL outage never reaches
// the routes an app protects, and SQL load does not grow with traffic.
describe("Users in SQL: protected requests never query the database", function () {
  this.timeout(30_000);
  let database: TestDatabase;
  let counting: ReturnType<typeof countingKysely>;

  before(async function () {
    const created = await createTestDatabase("postgres");
    if (!created) {
      console.log("      (skipped: no Postgres server at its test URL; see spec/helpers/sql.ts)");
      this.skip();
    }
    database = created;
    counting = countingKysely(database.url);
    await migrate(counting.db);
  });

  after(async () => {
    await counting?.db.destroy();
    await database?.drop();
  });

  for (const mode of MODES) {
    it(`[${mode}] counts 0 SQL statements over 30 protected requests, and some for a sign-in`, async () => {
      const { app } = await makeApp({ mode, storage: { users: new SqlUserStore(counting.db) } });
      const { email } = await register(app);
      counting.reset();
      const client = await signIn(app, mode, email, PASSWORD);
      expect(counting.queries(), "the sign-in did not read the SQL store (is the store wired?)").to.be.above(0);

      counting.reset();
      for (let i = 0; i < 10; i++) {
        expect((await client.get("/api/profile")).status).to.equal(200);
        expect((await client.post("/api/profile")).status).to.equal(200);
        expect((await client.get("/auth/me")).status).to.equal(200);
      }
      expect(counting.queries(), "protected requests queried SQL").to.equal(0);
    });
  }

  // The user copy every session and access token reads lives in the credential record in Redis:
  // nothing is reloaded from SQL after touchAfter, and a change made through the library is seen
  // at once (spec/http/final.spec.ts).
  it("[session] still counts 0 SQL statements on a protected request after touchAfter, and sees a change made through auth.users", async () => {
    const { app, clock, auth } = await makeApp({ mode: "session", storage: { users: new SqlUserStore(counting.db) } });
    const { email } = await register(app);
    const client = await signIn(app, "session", email, PASSWORD);
    clock.advance(61);
    counting.reset();
    expect((await client.get("/api/profile")).status).to.equal(200);
    expect(counting.queries()).to.equal(0);
    const user = (await auth.users.findByEmail(email))!;
    await auth.users.update(user.id, { name: "Fresh", updatedAt: clock.now() });
    counting.reset();
    expect((await client.get("/api/profile")).body.user.name).to.equal("Fresh");
    expect(counting.queries()).to.equal(0);
  });
});
