import { createRequire } from "node:module";
import { Kysely, MysqlAdapter, MysqlDialect, PostgresAdapter, PostgresDialect, SqliteAdapter, SqliteDialect } from "kysely";
const require = createRequire(import.meta.url);
/**
 * Opens a Kysely instance for a connection URL, loading the driver the URL names (each is an
 * optional peer dependency: install the one you use):
 *
 * - `postgres://user:pass@host:5432/db` (or `postgresql://`): `pg`
 * - `mysql://user:pass@host:3306/db` (or `mariadb://`): `mysql2`
 * - `sqlite:path/to/file.db`, `sqlite:///absolute/path.db` or `sqlite::memory:`: `better-sqlite3`
 *
 * A `TypeError` for another scheme or a driver that is not installed. Call `destroy()` on the
 * result to close its pool.
 *
 * @example
 * ```ts
 * const db = kyselyFromUrl(process.env.DATABASE_URL!);
 * await migrate(db);
 * ```
 */
export function kyselyFromUrl(url, options = {}) {
    const { timeoutMs = 1500, poolSize = 10 } = options;
    if (typeof url !== "string")
        throw new TypeError("kyselyFromUrl: the URL must be a string");
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
        throw new TypeError("kyselyFromUrl: timeoutMs must be a positive number of milliseconds");
    if (!Number.isInteger(poolSize) || poolSize < 1)
        throw new TypeError("kyselyFromUrl: poolSize must be a positive integer");
    return new Kysely({ dialect: dialectFromUrl(url, Math.ceil(timeoutMs), poolSize) });
}
function dialectFromUrl(url, timeoutMs, poolSize) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
    if (scheme === "postgres" || scheme === "postgresql") {
        const pg = load("pg", url);
        const pool = new pg.Pool({
            connectionString: url,
            max: poolSize,
            connectionTimeoutMillis: timeoutMs,
            // The server ends a statement that runs past the deadline (a lock held by a stuck client).
            statement_timeout: timeoutMs,
            idleTimeoutMillis: 30_000,
        });
        // A client whose connection drops emits "error" (on the pool while idle, on the client while
        // checked out); without a listener that would crash the process. The pool drops the client
        // and the query in flight rejects with the same error, which is what the store reports.
        const events = pool;
        events.on("error", () => { });
        events.on("connect", (client) => client.on("error", () => { }));
        return new PostgresDialect({ pool: pool });
    }
    if (scheme === "mysql" || scheme === "mariadb") {
        const mysql = load("mysql2", url);
        const pool = mysql.createPool({
            uri: url.replace(/^mariadb:/i, "mysql:"),
            connectionLimit: poolSize,
            connectTimeout: timeoutMs,
            charset: "utf8mb4",
            // Big integers (ms timestamps) as numbers, never strings.
            supportBigNumbers: true,
            bigNumberStrings: false,
        });
        return new MysqlDialect({ pool: pool });
    }
    if (scheme === "sqlite") {
        const Database = load("better-sqlite3", url);
        const path = sqlitePath(url);
        const database = new Database(path, { timeout: timeoutMs });
        if (path !== ":memory:")
            database.pragma("journal_mode = WAL");
        return new SqliteDialect({ database: database });
    }
    throw new TypeError(`kyselyFromUrl: unsupported URL scheme ${JSON.stringify(scheme ?? url)}; use postgres://, mysql:// or sqlite:`);
}
/** `sqlite:dev.db` -> `dev.db`; `sqlite:///var/db/app.db` -> `/var/db/app.db`; `sqlite::memory:` -> `:memory:`. */
function sqlitePath(url) {
    const rest = url.slice("sqlite:".length);
    if (rest.startsWith("//"))
        return decodeURIComponent(rest.slice(2).replace(/^localhost(?=\/)/, ""));
    if (rest === "")
        throw new TypeError("kyselyFromUrl: sqlite: needs a path, e.g. sqlite:./dev.db or sqlite::memory:");
    return rest;
}
function load(name, url) {
    try {
        return require(name);
    }
    catch (err) {
        const scheme = url.split(":")[0];
        throw new TypeError(`kyselyFromUrl: a ${scheme}: URL needs the package '${name}' (npm install ${name})`, { cause: err });
    }
}
/**
 * The dialect of a Kysely instance, read from its adapter (so dialects built on the standard
 * ones, such as PGlite's or a Neon one on `PostgresAdapter`, are recognized). A `TypeError` for
 * another database.
 */
export function sqlDialectOf(db) {
    const adapter = db.getExecutor().adapter;
    if (adapter instanceof PostgresAdapter)
        return "postgres";
    if (adapter instanceof MysqlAdapter)
        return "mysql";
    if (adapter instanceof SqliteAdapter)
        return "sqlite";
    // Another copy of kysely in node_modules (the app's version and ours): compare by name.
    for (let proto = Object.getPrototypeOf(adapter); proto; proto = Object.getPrototypeOf(proto)) {
        const name = proto.constructor?.name;
        if (name === "PostgresAdapter")
            return "postgres";
        if (name === "MysqlAdapter")
            return "mysql";
        if (name === "SqliteAdapter")
            return "sqlite";
    }
    throw new TypeError("gatehouse: the Kysely instance is neither Postgres, MySQL/MariaDB nor SQLite; pass { dialect } explicitly");
}
