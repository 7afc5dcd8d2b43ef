import { AuthError } from "../errors.js";
import { kyselyFromUrl, sqlDialectOf } from "./sql-database.js";
import { copyAttributes, decodeAttributes, encodeAttributes, mergeAttributes, newUserRecord } from "./user-store-attributes.js";
const DEFAULT_COLUMNS = {
    id: "id",
    email: "email",
    emailNormalized: "email_normalized",
    name: "name",
    emailVerified: "email_verified",
    passwordHash: "password_hash",
    createdAt: "created_at",
    updatedAt: "updated_at",
    attributes: "attributes",
};
/**
 * A {@link UserStore} in PostgreSQL, MySQL / MariaDB or SQLite, through the app's own
 * [Kysely](https://kysely.dev) instance (one code path for the three; the schema ships as plain
 * SQL per dialect, applied by `migrate(db)` or `npx express-gatehouse migrate`).
 *
 * Guarantees, the same as {@link RedisUserStore}'s:
 * - one user per normalized email: a unique index on `email_normalized`, whose binary collation
 *   (`COLLATE "C"` on Postgres, `utf8mb4_bin` on MySQL / MariaDB, SQLite's default) never lets
 *   `a` and `A`, or `a` and `ä`, collide; a conflict resolves `null` (`create`) or
 *   `"email_taken"` (`changeEmail`), decided by the index, so exactly one racer wins;
 * - every change is one statement or one transaction (an attribute merge reads and writes the row
 *   under a row lock), so nothing is half-written;
 * - every database failure, and a call that outlives `timeoutMs`, rejects with
 *   `AuthError("SERVICE_UNAVAILABLE")` (503), never a wrong answer.
 *
 * Protected requests never reach this store: sessions and access tokens carry the user and are
 * checked in Redis.
 *
 * @example
 * ```ts
 * import { authRouter, SqlUserStore, migrate } from "express-gatehouse";
 *
 * const users = SqlUserStore.fromUrl(process.env.DATABASE_URL!); // postgres://, mysql:// or sqlite:
 * await migrate(users.db);
 * app.use("/auth", authRouter({ redis, secret, appUrl, storage: { users } }));
 *
 * // or on the app's own Kysely instance and its existing table:
 * new SqlUserStore(db, { table: "users", columns: { passwordHash: "encrypted_password" } });
 * ```
 */
export class SqlUserStore {
    /** The Kysely instance the store queries (for `migrate(store.db)`). */
    db;
    /** The database the store speaks to. */
    dialect;
    table;
    cols;
    selection;
    timeoutMs;
    /** True when `fromUrl` opened the pool, which `close()` then ends. */
    owned = false;
    constructor(db, options = {}) {
        const { table = "gatehouse_users", columns = {}, timeoutMs = 1500 } = options;
        if (typeof db !== "object" || db === null || typeof db.selectFrom !== "function") {
            throw new TypeError("SqlUserStore: pass a Kysely instance (or use SqlUserStore.fromUrl(url))");
        }
        if (typeof table !== "string" || table === "")
            throw new TypeError("SqlUserStore: table must be a non-empty string");
        if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
            throw new TypeError("SqlUserStore: timeoutMs must be a positive number of milliseconds");
        }
        for (const [field, column] of Object.entries(columns)) {
            if (!(field in DEFAULT_COLUMNS))
                throw new TypeError(`SqlUserStore: unknown column field ${JSON.stringify(field)}`);
            if (typeof column !== "string" || column === "")
                throw new TypeError(`SqlUserStore: columns.${field} must be a non-empty string`);
        }
        this.db = db;
        this.dialect = options.dialect ?? sqlDialectOf(db);
        this.table = table;
        this.cols = { ...DEFAULT_COLUMNS, ...columns };
        this.selection = [...new Set(Object.values(this.cols))];
        this.timeoutMs = timeoutMs;
    }
    /**
     * A store on a pool of its own for a connection URL (`postgres://`, `mysql://`, `sqlite:`;
     * see {@link kyselyFromUrl}). `close()` ends the pool.
     *
     * @example
     * ```ts
     * const users = SqlUserStore.fromUrl("postgres://app@db.internal/app");
     * ```
     */
    static fromUrl(url, options = {}) {
        const { poolSize, ...storeOptions } = options;
        const store = new SqlUserStore(kyselyFromUrl(url, { timeoutMs: options.timeoutMs, poolSize }), storeOptions);
        store.owned = true;
        return store;
    }
    /** Closes the pool when the store opened it (`fromUrl`); a store on your Kysely leaves it open. */
    async close() {
        if (this.owned)
            await this.db.destroy();
    }
    create(user) {
        const record = newUserRecord(user);
        return this.run("create", async () => {
            try {
                // One statement: the unique index decides between racing creates.
                await this.db.insertInto(this.table).values(this.toRow(record)).execute();
            }
            catch (err) {
                if (!isUniqueViolation(err))
                    throw err;
                // Another unique column of an app's table must not pass for a taken email.
                if ((await this.findRow(this.cols.emailNormalized, record.email)) === undefined)
                    throw err;
                return null;
            }
            return { ...record, attributes: copyAttributes(record.attributes) };
        });
    }
    findById(id) {
        return this.run("findById", async () => this.decode(await this.findRow(this.cols.id, id)));
    }
    findByEmail(email) {
        return this.run("findByEmail", async () => this.decode(await this.findRow(this.cols.emailNormalized, email)));
    }
    update(id, patch) {
        // Validated before any round trip: a bad attribute throws a TypeError with nothing written.
        mergeAttributes({}, patch.attributes);
        return this.run("update", () => this.db.transaction().execute(async (trx) => {
            const set = { [this.cols.updatedAt]: patch.updatedAt };
            if (patch.name !== undefined)
                set[this.cols.name] = patch.name;
            if (patch.emailVerified !== undefined)
                set[this.cols.emailVerified] = this.bool(patch.emailVerified);
            if (patch.passwordHash !== undefined)
                set[this.cols.passwordHash] = patch.passwordHash;
            if (patch.attributes !== undefined) {
                // Read and write under the row lock: concurrent merges of different keys both land.
                const current = this.decode(await this.findRow(this.cols.id, id, trx, true));
                if (current === null)
                    return null;
                set[this.cols.attributes] = encodeAttributes(mergeAttributes(current.attributes, patch.attributes));
            }
            await trx.updateTable(this.table).set(set).where(this.cols.id, "=", id).execute();
            return this.decode(await this.findRow(this.cols.id, id, trx));
        }));
    }
    changeEmail(id, email, updatedAt) {
        return this.run("changeEmail", async () => {
            try {
                return await this.db.transaction().execute(async (trx) => {
                    const user = this.decode(await this.findRow(this.cols.id, id, trx, true));
                    if (user === null)
                        return null;
                    if (user.email === email)
                        return user;
                    // One UPDATE moves the user: the unique index refuses a taken address, and the old
                    // address is free the moment this commits. No orphan either way.
                    await trx
                        .updateTable(this.table)
                        .set({ [this.cols.email]: email, [this.cols.emailNormalized]: email, [this.cols.updatedAt]: updatedAt })
                        .where(this.cols.id, "=", id)
                        .execute();
                    return this.decode(await this.findRow(this.cols.id, id, trx));
                });
            }
            catch (err) {
                if (isUniqueViolation(err))
                    return "email_taken";
                throw err;
            }
        });
    }
    delete(id) {
        return this.run("delete", async () => {
            const result = await this.db.deleteFrom(this.table).where(this.cols.id, "=", id).executeTakeFirst();
            return result.numDeletedRows > 0n;
        });
    }
    async findRow(column, value, db = this.db, lock = false) {
        let query = db.selectFrom(this.table).select(this.selection).where(column, "=", value);
        // SQLite has no row locks (and no FOR UPDATE): its writers are serialized by the database.
        if (lock && this.dialect !== "sqlite")
            query = query.forUpdate();
        return (await query.executeTakeFirst());
    }
    toRow(user) {
        const c = this.cols;
        return {
            [c.id]: user.id,
            [c.email]: user.email,
            [c.emailNormalized]: user.email,
            [c.name]: user.name,
            [c.emailVerified]: this.bool(user.emailVerified),
            [c.passwordHash]: user.passwordHash,
            [c.createdAt]: user.createdAt,
            [c.updatedAt]: user.updatedAt,
            [c.attributes]: encodeAttributes(user.attributes),
        };
    }
    bool(value) {
        return this.dialect === "postgres" ? value : value ? 1 : 0;
    }
    decode(row) {
        if (row === undefined)
            return null;
        const c = this.cols;
        const id = row[c.id];
        const email = row[c.emailNormalized];
        const name = row[c.name];
        const passwordHash = row[c.passwordHash];
        const createdAt = Number(row[c.createdAt]);
        const updatedAt = Number(row[c.updatedAt]);
        const attributes = row[c.attributes];
        if (typeof id !== "string" ||
            typeof email !== "string" ||
            (name !== null && typeof name !== "string") ||
            typeof passwordHash !== "string" ||
            !Number.isFinite(createdAt) ||
            !Number.isFinite(updatedAt) ||
            (attributes !== null && typeof attributes !== "string")) {
            throw new Error(`SqlUserStore: the row of user ${String(id)} is malformed (check the column mapping)`);
        }
        return {
            id,
            email,
            name,
            emailVerified: row[c.emailVerified] === true || Number(row[c.emailVerified]) === 1,
            passwordHash,
            createdAt,
            updatedAt,
            attributes: decodeAttributes(attributes, id),
        };
    }
    /**
     * Runs one store call under the deadline, retrying a deadlock or serialization failure (the
     * database rolled the transaction back, so a retry is safe). Any other failure, and the
     * deadline, reject with `AuthError("SERVICE_UNAVAILABLE")`.
     */
    run(what, op) {
        const deadline = Date.now() + this.timeoutMs;
        const attempt = async () => {
            for (let tries = 1;; tries++) {
                try {
                    return await op();
                }
                catch (err) {
                    if (!isTransient(err) || tries >= 5 || Date.now() >= deadline)
                        throw err;
                }
            }
        };
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                reject(unavailable(new Error(`SqlUserStore.${what}: the database did not answer within ${this.timeoutMs} ms`)));
            }, this.timeoutMs);
            // A late settlement after the deadline is ignored (and never an unhandled rejection).
            attempt().then((value) => {
                clearTimeout(timer);
                resolve(value);
            }, (err) => {
                clearTimeout(timer);
                reject(err instanceof AuthError || err instanceof TypeError ? err : unavailable(err));
            });
        });
    }
}
function unavailable(cause) {
    return new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1, cause });
}
function errorCode(err) {
    const e = err;
    return { code: e?.code, errno: e?.errno };
}
/** A unique-index conflict, as pg (23505), mysql2 (1062) and better-sqlite3 report it. */
function isUniqueViolation(err) {
    const { code, errno } = errorCode(err);
    return code === "23505" || errno === 1062 || code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
/** A failure the database resolved by rolling back, worth one more try: deadlock, serialization, busy. */
function isTransient(err) {
    const { code, errno } = errorCode(err);
    return code === "40001" || code === "40P01" || errno === 1213 || code === "SQLITE_BUSY";
}
