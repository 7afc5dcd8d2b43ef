import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const FORBIDDEN = ["express", "express-session", "express-validator", "ioredis", "argon2", "bcrypt", "nodemailer", "jose", "connect-redis", "csrf-sync"];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

function imports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(/(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

describe("architecture", () => {
  for (const layer of ["core", "ports"]) {
    it(`lib/${layer} imports no framework, database or crypto-library package`, () => {
      const offenders = files(join("lib", layer)).flatMap((f) =>
        imports(f)
          .filter((spec) => FORBIDDEN.some((pkg) => spec === pkg || spec.startsWith(`${pkg}/`)))
          .map((spec) => `${f} -> ${spec}`),
      );
      expect(offenders).to.deep.equal([]);
    });

    it(`lib/${layer} does not import http/ or adapters/`, () => {
      const offenders = files(join("lib", layer)).flatMap((f) => imports(f).filter((s) => /\/(http|adapters)\//.test(s)).map((s) => `${f} -> ${s}`));
      expect(offenders).to.deep.equal([]);
    });
  }

  it("errors.ts and types.ts import nothing", () => {
    expect(imports("lib/errors.ts")).to.deep.equal([]);
    expect(imports("lib/types.ts")).to.deep.equal([]);
  });
});
