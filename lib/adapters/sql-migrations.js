import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { sqlDialectOf } from "./sql-database.js";
/** Where the plain-SQL schema files live: `sql/<dialect>/NNN-name.sql` in the package. */
export function migrationsDirectory(dialect) {
    // Two levels up from lib/adapters (sources) and dist/adapters (build) alike.
    return fileURLToPath(new URL(`../../sql/${dialect}/`, import.meta.url));
}
/**
 * Applies the shipped schema migrations that this database has not recorded yet, in order, and
 * resolves their names. Idempotent: a second run applies nothing, and every shipped file is
 * itself idempotent (`CREATE ... IF NOT EXISTS`), so a run cut off between a file and its record
 * is simply repeated. Each applied file is recorded in the migrations table, which is how a later
 * version of Gatehouse knows which of its migrations to add (the upgrade path).
 *
 * @example
 * ```ts
 * const db = kyselyFromUrl(process.env.DATABASE_URL!);
 * console.log(await migrate(db)); // ["001-users.sql"] the first time, [] afterwards
 * ```
 */
export async function migrate(db, options = {}) {
    const dialect = options.dialect ?? sqlDialectOf(db);
    const table = options.table ?? "gatehouse_migrations";
    const now = options.now ?? Date.now;
    await ensureMigrationsTable(db, table);
    const applied = [];
    for (const state of await migrationStatus(db, { ...options, dialect })) {
        if (state.appliedAt !== null)
            continue;
        const source = withUsersTable(await readFile(migrationsDirectory(dialect) + state.name, "utf8"), options.usersTable);
        // Postgres and SQLite run a file in one transaction (DDL is transactional there); MySQL
        // commits each DDL statement by itself, which the idempotent files make harmless.
        await db.transaction().execute(async (trx) => {
            for (const statement of statements(source))
                await sql.raw(statement).execute(trx);
            await trx.insertInto(table).values({ name: state.name, applied_at: now() }).execute();
        });
        applied.push(state.name);
    }
    return applied;
}
/** Every shipped migration of the database's dialect, with the time this database applied it (or null). */
export async function migrationStatus(db, options = {}) {
    const dialect = options.dialect ?? sqlDialectOf(db);
    const table = options.table ?? "gatehouse_migrations";
    const files = (await readdir(migrationsDirectory(dialect))).filter((f) => f.endsWith(".sql")).sort();
    const rows = (await hasTable(db, table))
        ? (await db.selectFrom(table).select(["name", "applied_at"]).execute())
        : [];
    const appliedAt = new Map(rows.map((r) => [r.name, Number(r.applied_at)]));
    return files.map((name) => ({ name, appliedAt: appliedAt.get(name) ?? null }));
}
async function ensureMigrationsTable(db, table) {
    await db.schema
        .createTable(table)
        .ifNotExists()
        .addColumn("name", "varchar(255)", (col) => col.primaryKey())
        .addColumn("applied_at", "bigint", (col) => col.notNull())
        .execute();
}
async function hasTable(db, table) {
    const tables = await db.introspection.getTables();
    return tables.some((t) => t.name === table);
}
/** The shipped SQL with the users table (and its index) renamed. */
function withUsersTable(source, usersTable) {
    if (usersTable === undefined || usersTable === "gatehouse_users")
        return source;
    if (!/^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/.test(usersTable)) {
        throw new TypeError("migrate: usersTable must be an SQL identifier (letters, digits, _), optionally schema-qualified");
    }
    const bare = usersTable.split(".").pop();
    return source.replaceAll("gatehouse_users_email_normalized", `${bare}_email_normalized`).replaceAll("gatehouse_users", usersTable);
}
/** The statements of a migration file: split at semicolons that end a line, comments dropped. */
function statements(source) {
    return source
        .split(/;\s*$/m)
        .map((chunk) => chunk
        .split("\n")
        .filter((line) => !line.trim().startsWith("--"))
        .join("\n")
        .trim())
        .filter((statement) => statement !== "");
}
