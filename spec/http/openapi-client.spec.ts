import { expect } from "chai";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Validator } from "@seriousme/openapi-schema-validator";
import request from "supertest";
import { makeApp, PASSWORD } from "../helpers/app.js";
import { MODES } from "../helpers/client.js";

const run = promisify(execFile);

/**
 * A client generated from the document (openapi-typescript + openapi-fetch) runs the main flows:
 * generated at test time into node_modules/.cache (so it resolves the project's packages), type
 * checked with tsc --strict, then run against the router on a loopback port.
 */
describe("a client generated from the OpenAPI document", function () {
  this.timeout(120000);
  for (const mode of MODES) {
    it(`[${mode}] passes two independent validators, compiles under tsc --strict, and runs the main flows`, async () => {
      const t = await makeApp({ mode, rateLimits: false });
      const doc = (await request(t.app).get("/auth/openapi.json")).body as object;
      const seriousme = await new Validator().validate(structuredClone(doc) as never);
      expect(seriousme.valid, JSON.stringify(seriousme.errors)).to.equal(true);
      await SwaggerParser.validate(structuredClone(doc) as never);

      const dir = join(process.cwd(), "node_modules", ".cache", `gatehouse-openapi-client-${mode}-${process.pid}`);
      mkdirSync(dir, { recursive: true });
      try {
        writeFileSync(join(dir, "schema.d.ts"), astToString(await openapiTS(structuredClone(doc) as never)));
        copyFileSync(join("spec", "http", "openapi-client", `${mode}-flows.ts`), join(dir, "flows.ts"));
        const tsc = join("node_modules", "typescript", "bin", "tsc");
        const flags = ["--ignoreConfig", "--strict", "--noUncheckedIndexedAccess", "--verbatimModuleSyntax", "--noEmit", "--skipLibCheck", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node", "--lib", "es2022,dom"];
        await run(process.execPath, [tsc, ...flags, join(dir, "flows.ts")]).catch((err: { stdout?: string }) => expect.fail(`tsc --strict: ${err.stdout}`));

        const server = t.app.listen(0, "127.0.0.1");
        await new Promise<void>((resolve) => server.once("listening", () => resolve()));
        try {
          const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
          const flows = (await import(pathToFileURL(join(dir, "flows.ts")).href)) as { run: (b: string, e: string, p: string) => Promise<string[]> };
          const email = `gen-${mode}@example.com`;
          const log = await flows.run(base, email, PASSWORD);
          const common = [`registered ${email}`, `me ${email}`, "sessions 1"];
          if (mode === "jwt") expect(log).to.deep.equal([...common, "revoke 200", "after revoke 401 UNAUTHENTICATED", "wrong password 400 invalid_grant"]);
          else expect(log).to.deep.equal([...common, "logout without the CSRF token 403 CSRF_INVALID", "logout 204", "after logout 401 UNAUTHENTICATED"]);
        } finally {
          await new Promise((resolve) => server.close(resolve));
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
