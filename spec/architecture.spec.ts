import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** Packages of a framework, a database, a mailer or a crypto library: adapters and http only. */
const FORBIDDEN = ["express", "express-session", "express-validator", "ioredis", "argon2", "bcrypt", "nodemailer", "jose", "connect-redis", "csrf-sync", "rate-limiter-flexible"];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

function imports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(/(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/** A relative import as a path under lib/ without extension (`ports/user-store`, `types`); null for a package. */
function target(file: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  return relative("lib", resolve(dirname(file), spec)).replace(/\\/g, "/").replace(/\.(js|ts)$/, "");
}

/** `file -> spec` for every import of the files under `dir` that `allowed` refuses. */
function offenders(dir: string, allowed: (spec: string, to: string | null, file: string) => boolean): string[] {
  return files(dir).flatMap((f) => imports(f).filter((s) => !allowed(s, target(f, s), f)).map((s) => `${f} -> ${s}`));
}

const isPackage = (spec: string, pkg: string) => spec === pkg || spec.startsWith(`${pkg}/`);
const under = (to: string | null, room: string) => to !== null && to.startsWith(`${room}/`);

describe("architecture", () => {
  for (const layer of ["core", "ports"]) {
    it(`lib/${layer} imports no framework, database, mailer or crypto-library package`, () => {
      expect(offenders(join("lib", layer), (spec) => !FORBIDDEN.some((pkg) => isPackage(spec, pkg)))).to.deep.equal([]);
    });

    it(`lib/${layer} imports nothing from http/ or adapters/, nor options.ts or index.ts`, () => {
      expect(offenders(join("lib", layer), (_s, to) => !(under(to, "http") || under(to, "adapters") || to === "options" || to === "index"))).to.deep.equal([]);
    });
  }

  it("lib/ports import only ports, types and errors", () => {
    expect(offenders("lib/ports", (_s, to) => to === null || under(to, "ports") || to === "types" || to === "errors")).to.deep.equal([]);
  });

  it("lib/adapters import, of the library, only ports, types, errors and other adapters", () => {
    expect(offenders("lib/adapters", (_s, to) => to === null || under(to, "ports") || under(to, "adapters") || to === "types" || to === "errors")).to.deep.equal([]);
  });

  it("within lib/http, only wiring.ts (the composition root) imports adapters", () => {
    expect(offenders("lib/http", (_s, to, file) => !under(to, "adapters") || file === join("lib", "http", "wiring.ts"))).to.deep.equal([]);
  });

  it("errors.ts and types.ts import nothing", () => {
    expect(imports("lib/errors.ts")).to.deep.equal([]);
    expect(imports("lib/types.ts")).to.deep.equal([]);
  });

  it("the import scanner sees what it must (a rule that sees nothing cannot fail)", () => {
    expect(imports("lib/http/wiring.ts")).to.include.members(["../adapters/redis-session-store.js", "../adapters/redis-user-store.js", "../core/sign-in.js"]);
    expect(imports("lib/http/strategies/session.ts")).to.include.members(["express-session"]);
    expect(target("lib/http/routes/sign-in.ts", "../../core/sign-in.js")).to.equal("core/sign-in");
    expect(files("lib/core").length).to.be.greaterThan(10);
    expect(imports("lib/core/sign-in.ts").length).to.be.greaterThan(3);
  });
});
