import { randomBytes } from "node:crypto";
import { kyselyFromUrl, type AnyKysely, type SqlDialectName } from "../../lib/adapters/sql-database.js";
import { migrate } from "../../lib/adapters/sql-migrations.js";
import { SqlUserStore } from "../../lib/adapters/sql-user-store.js";
import { createTestDatabase, SQL_SERVERS } from "./sql.js";

/**
 * `GATEHOUSE_TEST_USERS=postgres` (or `mysql`, `sqlite`) runs the HTTP specs with every app's
 * users in SQL: one database of this run's own, made on first use and dropped when mocha ends.
 * Unset: undefined, and the apps keep their users in Redis as usual.
 */
export const TEST_USERS = process.env.GATEHOUSE_TEST_USERS as SqlDialectName | undefined;

let shared: Promise<AnyKysely> | undefined;
let cleanup: (() => Promise<void>) | undefined;

// Registered while mocha loads the spec files (this module is imported then), so the hook sits on
// the root suite and runs once, after every spec.
const g = globalThis as { after?: (fn: () => Promise<void>) => void };
if (TEST_USERS && typeof g.after === "function") g.after(async () => cleanup?.());

const tables = new Map<string, Promise<string>>();

/** The SQL store of the apps on `keyPrefix` (one table per prefix), or undefined when the users stay in Redis. */
export async function sqlTestUserStore(keyPrefix: string): Promise<SqlUserStore | undefined> {
  if (!TEST_USERS) return undefined;
  if (!["postgres", "mysql", "sqlite"].includes(TEST_USERS)) {
    throw new Error(`GATEHOUSE_TEST_USERS must be postgres, mysql or sqlite, not ${JSON.stringify(TEST_USERS)}`);
  }
  shared ??= (async () => {
    const database = await createTestDatabase(TEST_USERS);
    if (!database) {
      const where = TEST_USERS === "sqlite" ? "" : ` at ${SQL_SERVERS[TEST_USERS]}`;
      throw new Error(`GATEHOUSE_TEST_USERS=${TEST_USERS}, but there is no ${TEST_USERS} server${where}`);
    }
    const db = kyselyFromUrl(database.url);
    await migrate(db);
    cleanup = async () => {
      await db.destroy();
      await database.drop();
    };
    return db;
  })();
  // A table per key prefix, as each app has a prefix of its own: specs reuse addresses.
  const db = await shared;
  let table = tables.get(keyPrefix);
  if (!table) {
    const name = `users_${randomBytes(6).toString("hex")}`;
    table = migrate(db, { usersTable: name, table: `${name}_migrations` }).then(() => name);
    tables.set(keyPrefix, table);
  }
  return new SqlUserStore(db, { table: await table });
}
