#!/usr/bin/env node
// The command line of the package: `npx express-gatehouse migrate [up|status] --url <database URL>`.
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { kyselyFromUrl } from "./adapters/sql-database.js";
import { migrate, migrationStatus } from "./adapters/sql-migrations.js";

const USAGE = `Usage: express-gatehouse migrate [up|status] [--url <database URL>]

  up       apply the schema migrations this database has not recorded yet (the default)
  status   list every migration and whether this database has it

  --url    postgres://..., mysql://... or sqlite:path (default: $DATABASE_URL)
  --table  the table that records migrations (default: gatehouse_migrations)
`;

/** Runs the CLI with `argv` (without node and the script); resolves the exit code. */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { url: { type: "string" }, table: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, sub = "up", ...extra] = parsed.positionals;
  if (parsed.values.help) {
    out(USAGE);
    return 0;
  }
  if (command !== "migrate" || (sub !== "up" && sub !== "status") || extra.length > 0) {
    err(USAGE);
    return 2;
  }
  const url = parsed.values.url ?? process.env.DATABASE_URL;
  if (!url) {
    err(`express-gatehouse: no database: pass --url or set DATABASE_URL\n\n${USAGE}`);
    return 2;
  }
  const options = parsed.values.table ? { table: parsed.values.table } : {};
  let db;
  try {
    db = kyselyFromUrl(url, { timeoutMs: 30_000, poolSize: 1 });
    if (sub === "up") {
      const applied = await migrate(db, options);
      out(applied.length === 0 ? "Nothing to apply: the database is up to date." : applied.map((name) => `applied ${name}`).join("\n"));
    } else {
      const states = await migrationStatus(db, options);
      for (const s of states) out(`${s.appliedAt === null ? "pending" : "applied"}  ${s.name}${s.appliedAt === null ? "" : `  (${new Date(s.appliedAt).toISOString()})`}`);
      if (states.some((s) => s.appliedAt === null)) out("Run `express-gatehouse migrate up` to apply the pending ones.");
    }
    return 0;
  } catch (e) {
    err(`express-gatehouse: ${(e as Error).message}`);
    return 1;
  } finally {
    await db?.destroy().catch(() => {});
  }
}

/** True when this file is the program (run directly, or through the npm bin symlink), not imported. */
function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isMain()) main(process.argv.slice(2)).then((code) => (process.exitCode = code));
