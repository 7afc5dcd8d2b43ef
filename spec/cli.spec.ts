import { expect } from "chai";
import { readFileSync } from "node:fs";
import { main } from "../lib/cli.js";
import { createTestDatabase, type TestDatabase } from "./helpers/sql.js";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("express-gatehouse migrate (CLI)", function () {
  this.timeout(30_000);

  it("is the package's bin", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { bin: Record<string, string>; files: string[] };
    expect(pkg.bin["express-gatehouse"]).to.equal("./dist/cli.js");
    expect(pkg.files).to.include("sql");
  });

  for (const dialect of ["sqlite", "postgres", "mysql"] as const) {
    describe(`on ${dialect}`, () => {
      let database: TestDatabase | null;
      before(async function () {
        database = await createTestDatabase(dialect);
        if (!database) {
          console.log(`      (skipped: no ${dialect} server at its test URL)`);
          this.skip();
        }
      });
      after(async () => database?.drop());

      it("status lists the pending migration, up applies it once, status then shows it applied", async () => {
        const url = database!.url;
        let r = await run("migrate", "status", "--url", url);
        expect(r.code).to.equal(0);
        expect(r.out).to.match(/^pending {2}001-users\.sql/m);
        r = await run("migrate", "up", "--url", url);
        expect(r).to.deep.include({ code: 0, out: "applied 001-users.sql" });
        r = await run("migrate", "--url", url);
        expect(r.code).to.equal(0);
        expect(r.out).to.match(/up to date/);
        r = await run("migrate", "status", "--url", url);
        expect(r.out).to.match(/^applied {2}001-users\.sql {2}\(\d{4}-/m);
      });
    });
  }

  it("takes DATABASE_URL when --url is absent, and exits 2 without either or with a bad command", async () => {
    const saved = process.env.DATABASE_URL;
    try {
      delete process.env.DATABASE_URL;
      expect((await run("migrate", "up")).code).to.equal(2);
      expect((await run("migrate", "sideways", "--url", "sqlite::memory:")).code).to.equal(2);
      expect((await run("frobnicate")).code).to.equal(2);
      process.env.DATABASE_URL = "sqlite::memory:";
      expect(await run("migrate", "up")).to.deep.include({ code: 0, out: "applied 001-users.sql" });
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });

  it("exits 1 with a message when the database cannot be reached", async () => {
    const r = await run("migrate", "status", "--url", "postgres://postgres@127.0.0.1:1/none");
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^express-gatehouse: /);
  });
});
