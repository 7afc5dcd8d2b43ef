import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { kyselyFromUrl, type AnyKysely, type SqlDialectName } from "../../lib/adapters/sql-database.js";

/**
 * The database servers of this machine and of CI. Each spec makes a database of its own with a
 * random name on them and drops it afterwards; nothing else on the server is touched.
 */
export const SQL_SERVERS = {
  postgres: process.env.GATEHOUSE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  mysql: process.env.GATEHOUSE_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/",
} as const;

/** A database this test process created, with the URL to reach it. */
export interface TestDatabase {
  dialect: SqlDialectName;
  /** The database's URL (point the store, the CLI or a proxy at it). */
  url: string;
  /** Host and port of the server (for a proxy in front of it). */
  host: string;
  port: number;
  /** The same URL with another host and port (a proxy's). */
  urlVia(host: string, port: number): string;
  /** Drops the database (and, for SQLite, deletes the file). */
  drop(): Promise<void>;
}

/**
 * Creates a fresh database named `gh_test_<random>`. Resolves `null` when the server is not
 * there (the caller skips, saying so); any other failure rejects.
 */
export async function createTestDatabase(dialect: SqlDialectName): Promise<TestDatabase | null> {
  const name = `gh_test_${randomBytes(6).toString("hex")}`;
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-sqlite-"));
    const path = join(dir, `${name}.db`);
    return {
      dialect,
      url: `sqlite:${path}`,
      host: "",
      port: 0,
      urlVia: () => {
        throw new Error("SQLite has no server to put a proxy in front of");
      },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const serverUrl = new URL(SQL_SERVERS[dialect]);
  const admin = kyselyFromUrl(serverUrl.href, { timeoutMs: 3000, poolSize: 1 });
  try {
    await sql`select 1`.execute(admin);
  } catch (err) {
    await admin.destroy().catch(() => {});
    if (isAbsent(err)) return null;
    throw err;
  }
  try {
    if (dialect === "postgres") await sql.raw(`CREATE DATABASE ${name}`).execute(admin);
    else await sql.raw(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`).execute(admin);
  } finally {
    await admin.destroy();
  }
  const dbUrl = new URL(serverUrl.href);
  dbUrl.pathname = `/${name}`;
  return {
    dialect,
    url: dbUrl.href,
    host: serverUrl.hostname,
    port: Number(serverUrl.port || (dialect === "postgres" ? 5432 : 3306)),
    urlVia(host, port) {
      const via = new URL(dbUrl.href);
      via.hostname = host;
      via.port = String(port);
      return via.href;
    },
    async drop() {
      const dropper = kyselyFromUrl(serverUrl.href, { timeoutMs: 10_000, poolSize: 1 });
      try {
        if (dialect === "postgres") await sql.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).execute(dropper);
        else await sql.raw(`DROP DATABASE IF EXISTS ${name}`).execute(dropper);
      } finally {
        await dropper.destroy();
      }
    },
  };
}

function isAbsent(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "ETIMEDOUT";
}

/**
 * A Kysely instance on `url` that counts the statements run through it (`queries()`): a plugin
 * sees every query the store builds, transactions' statements included.
 */
export function countingKysely(url: string, timeoutMs = 1500): { db: AnyKysely; queries: () => number; reset(): void } {
  let count = 0;
  const db = kyselyFromUrl(url, { timeoutMs }).withPlugin({
    transformQuery: (args) => {
      count++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  return {
    db,
    queries: () => count,
    reset: () => {
      count = 0;
    },
  };
}

/**
 * A TCP proxy in front of a database server that a test can cut and restore, so an outage is
 * simulated without stopping a server other tests (and other engineers) share.
 * - `cut()`: every open connection is destroyed and new ones are refused at once;
 * - `stall()`: connections stay open but nothing passes (a black hole, for the deadline);
 * - `restore()`: back to forwarding.
 */
export class TcpProxy {
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private mode: "open" | "cut" | "stall" = "open";

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private accept(client: Socket): void {
    client.on("error", () => {});
    if (this.mode === "cut") {
      client.destroy();
      return;
    }
    this.sockets.add(client);
    client.on("close", () => this.sockets.delete(client));
    if (this.mode === "stall") return;
    const upstream = connect(this.targetPort, this.targetHost);
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    this.sockets.add(upstream);
    upstream.on("close", () => this.sockets.delete(upstream));
    // Data passes only while open; a stall holds it back (pausing both directions).
    client.on("data", (chunk) => {
      if (this.mode === "open") upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (this.mode === "open") client.write(chunk);
    });
  }

  cut(): void {
    this.mode = "cut";
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  stall(): void {
    this.mode = "stall";
  }

  restore(): void {
    // A stalled connection lost bytes in the middle of a protocol exchange: end it for good.
    if (this.mode === "stall") this.cut();
    this.mode = "open";
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
