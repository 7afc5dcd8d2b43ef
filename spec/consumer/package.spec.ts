import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { expect } from "chai";
import { freePort, OwnRedis } from "../helpers/redis.js";
import { installLine, readmeBlocks, readmePrograms } from "./readme.js";
import { CJS_APP, ESM_APP, EXPRESS4_APP, TSCONFIG } from "./apps.js";

/**
 * `npm pack`, then the tarball installed from scratch into temporary apps next to express,
 * ioredis and the rest from the registry (one npm cache for all, `--prefer-offline`): the README's
 * quick start as it is printed, under strict TypeScript; a plain ESM app; a CommonJS app; an
 * Express 4 app on ioredis 5. Each serves sign-up, sign-in, `/me` and sign-out against a
 * redis-server of this spec's own.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const PASSWORD = "correct horse battery staple";
const SECRET = randomBytes(48).toString("base64");

/** Runs a command, failing with its output; every step has a deadline. */
async function sh(cwd: string, cmd: string, args: string[], timeout = 180_000, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`, { cause: err });
  }
}

/** Installs packages into a fresh app directory with the given package.json type. */
async function install(dir: string, type: "module" | "commonjs", packages: string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer-app", private: true, type }, null, 2));
  await sh(dir, "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...packages], 420_000);
}

interface Server {
  base: string;
  output(): string;
  /** Runs `walk` against the server; a failure carries the server's output and exit status. */
  check(walk: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

const servers: ChildProcess[] = [];

/**
 * Starts `node args...` in `cwd` on a free port and waits until it says it listens (so the port is
 * its own, not a process of another suite that took the port meanwhile) and answers a request
 * that needs Redis. A port lost in that race (EADDRINUSE) is retried on another.
 */
async function serve(cwd: string, args: string[], redisUrl: string, attempts = 3): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, AUTH_SECRET: SECRET, NODE_ENV: "development", SMTP_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  servers.push(child);
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      if (attempts > 1 && output.includes("EADDRINUSE")) return serve(cwd, args, redisUrl, attempts - 1);
      throw new Error(`${args.join(" ")} exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    if (/listening on/i.test(output)) {
      // Ready once it answers a request that needs Redis (it fails fast, 503, until connected).
      const status = await call(base, "POST", "/auth/forgot-password", { body: { email: "nobody@example.com" } }).then(
        (res) => res.status,
        () => 0,
      );
      if (status !== 0 && status !== 503) break;
    }
    if (Date.now() > deadline) throw new Error(`${args.join(" ")} was not ready within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    output: () => output,
    check: async (walk) => {
      try {
        await walk();
      } catch (err) {
        const status = child.exitCode ?? child.signalCode ?? "running";
        throw new Error(`${(err as Error).message}\n--- ${args.join(" ")} (${status}) ---\n${output}`, { cause: err });
      }
    },
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}

type Json = Record<string, unknown>;

async function call(base: string, method: string, path: string, init: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.raw !== undefined) {
    body = init.raw;
    headers["Content-Type"] ??= "application/json";
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch(`${base}${path}`, { method, headers, body, redirect: "manual" });
  const text = await res.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // Not JSON (an HTML page): the text is kept for the assertion messages.
  }
  return { status: res.status, type: res.headers.get("content-type") ?? "", cookies: res.headers.getSetCookie(), json, text };
}

/** Sign-up, sign-in with a cookie, refresh, `/me`, a protected route, sign-out: the README's curl walk. */
async function sessionWalk(server: Server, extra: { hello?: boolean; outbox?: boolean } = {}): Promise<void> {
  const { base } = server;
  const email = `ada.${randomUUID()}@example.com`;
  const reg = await call(base, "POST", "/auth/register", { body: { email, password: PASSWORD } });
  expect(reg.status, reg.text + server.output()).to.equal(201);
  if (extra.outbox) {
    let link: string | undefined;
    for (let i = 0; i < 100 && !link; i++) {
      const page = await call(base, "GET", "/dev/outbox");
      if (page.text.includes(email)) link = /href="(http[^"]*\/auth\/verify-email\?token=[^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, "&");
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(link, `no verification link for ${email} at /dev/outbox:\n${server.output()}`).to.be.a("string");
    const url = new URL(link!);
    const verified = await call(base, "GET", url.pathname + url.search, { headers: { Accept: "application/json" } });
    expect(verified.status, verified.text).to.equal(200);
    expect((verified.json.user as Json).emailVerified).to.equal(true);
    expect(server.output()).to.include(link!);
  }
  const login = await call(base, "POST", "/auth/login", { body: { email, password: PASSWORD } });
  expect(login.status, login.text).to.equal(200);
  const first = login.cookies.find((c) => c.startsWith("gh.sid="))?.split(";")[0];
  expect(first, String(login.cookies)).to.be.a("string");
  // As the README's walk: refresh, then go on with the new session id and CSRF token.
  const refreshed = await call(base, "POST", "/auth/refresh", { headers: { Cookie: first!, "X-CSRF-Token": login.json.csrfToken as string } });
  expect(refreshed.status, refreshed.text).to.equal(200);
  const cookie = refreshed.cookies.find((c) => c.startsWith("gh.sid="))?.split(";")[0];
  expect(cookie).to.be.a("string").and.not.equal(first);
  const csrf = refreshed.json.csrfToken as string;
  const me = await call(base, "GET", "/auth/me", { headers: { Cookie: cookie! } });
  expect(me.status).to.equal(200);
  expect((me.json.user as Json).email).to.equal(email);
  expect((await call(base, "GET", "/api/profile", { headers: { Cookie: cookie! } })).status).to.equal(200);
  if (extra.hello) {
    const hello = await call(base, "GET", "/api/hello", { headers: { Cookie: cookie! } });
    expect(hello.json).to.deep.equal({ hello: email });
  }
  const out = await call(base, "POST", "/auth/logout", { headers: { Cookie: cookie!, "X-CSRF-Token": csrf } });
  expect(out.status, out.text).to.equal(204);
  const after = await call(base, "GET", "/api/profile", { headers: { Cookie: cookie! } });
  expect(after.status).to.equal(401);
  expect(after.json.code).to.equal("UNAUTHENTICATED");
}

/** Bad JSON behind the app's own express.json(): problem+json, never Express's HTML page. */
async function badJson(server: Server): Promise<void> {
  const res = await call(server.base, "POST", "/auth/login", { raw: '{"email": ' });
  expect(res.status, res.text).to.equal(400);
  expect(res.type).to.match(/^application\/problem\+json/);
  expect(res.json.code).to.equal("INVALID_JSON");
}

describe("the npm package in fresh apps", () => {
  let root: string;
  let tarball: string;
  let packed: { files: { path: string }[]; size: number; entryCount: number };
  const redis = new OwnRedis();
  let app5: string;
  let app4: string;
  const programs = readmePrograms(readmeBlocks(join(ROOT, "README.md")));
  const handled = new Set<string>();
  /** The strict typecheck of each app: undefined when it passed, else its error. */
  let typechecked: Record<"app5" | "app4", Promise<Error | undefined>>;

  async function typecheck(app: "app5" | "app4"): Promise<void> {
    const err = await typechecked[app];
    if (err) throw err;
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "gatehouse-consumer-"));
    const started = Date.now();
    const [packOut] = await Promise.all([sh(ROOT, "npm", ["pack", "--json", "--pack-destination", root], 180_000), redis.start()]);
    packed = (JSON.parse(packOut) as (typeof packed & { filename: string })[])[0]!;
    tarball = join(root, (packed as unknown as { filename: string }).filename);
    console.log(`      packed ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB, in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const { deps, devDeps } = installLine(readmeBlocks(join(ROOT, "README.md")));
    expect(deps, "the README's install line").to.include("express-gatehouse");
    app5 = join(root, "app5");
    app4 = join(root, "app4");
    const installing = Date.now();
    await Promise.all([
      install(app5, "module", [...deps.map((d) => (d === "express-gatehouse" ? tarball : d)), ...devDeps]),
      // TypeScript and tsx come from app5: they resolve everything else from the project they run on.
      install(app4, "commonjs", [tarball, "express@^4.21", "ioredis@^5", "@types/express@^4", "@types/node", "@types/passport"]),
    ]);
    console.log(`      installed two apps in ${((Date.now() - installing) / 1000).toFixed(1)} s`);
    for (const dir of [app5, app4]) writeFileSync(join(dir, "tsconfig.json"), TSCONFIG);
    // Every README program into the app of the install line, then one strict typecheck per app,
    // both under way while the plain JavaScript apps run.
    for (const [name, code] of programs) writeFileSync(join(app5, name), code);
    writeFileSync(join(app4, "server.ts"), EXPRESS4_APP);
    const settle = (p: Promise<string>) => p.then(() => undefined, (err: Error) => err);
    typechecked = { app5: settle(sh(app5, join(app5, "node_modules/.bin/tsc"), ["-p", "."])), app4: settle(sh(app4, join(app5, "node_modules/.bin/tsc"), ["-p", "."])) };
  });

  after(async () => {
    // SIGTERM, which tsx passes on to the app it runs (a SIGKILL would leave that one behind).
    const running = servers.filter((child) => child.exitCode === null && child.signalCode === null);
    await Promise.all(running.map((child) => new Promise((done) => child.once("exit", done).kill("SIGTERM"))));
    await redis.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("ships the build, the sources its maps point at, and every target of exports; no specs", async () => {
    const files = new Set(packed.files.map((f) => f.path));
    for (const f of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts", "dist/index.js.map", "lib/index.ts", "dist/testing/index.js", "dist/cli.js", "sql/postgres/001-users.sql"]) {
      expect(files.has(f), f).to.equal(true);
    }
    // The build, its sources, and the SQL schema that migrate() and the CLI apply (see "Your users in SQL").
    expect([...files].filter((f) => !/^(dist|lib|sql)\//.test(f) && !["package.json", "README.md", "LICENSE", "CHANGELOG.md"].includes(f))).to.deep.equal([]);
    const pkg = (await import(join(ROOT, "package.json"), { with: { type: "json" } })).default as { exports: Record<string, unknown> };
    const targets = (function leaves(node: unknown): string[] {
      return typeof node === "string" ? [node.replace(/^\.\//, "")] : Object.values(node as object).flatMap(leaves);
    })(pkg.exports);
    expect(targets).to.include("dist/index.js");
    for (const target of targets) expect(files.has(target), `exports target ${target}`).to.equal(true);
  });

  it("a plain ESM JavaScript app (import), JWT mode: register, login, refresh, me, logout", async () => {
    writeFileSync(join(app5, "esm.mjs"), ESM_APP);
    const server = await serve(app5, ["esm.mjs"], redis.url);
    await server.check(async () => {
      const email = `grace.${randomUUID()}@example.com`;
      expect((await call(server.base, "POST", "/auth/register", { body: { email, password: PASSWORD } })).status).to.equal(201);
      const login = await call(server.base, "POST", "/auth/login", { body: { email, password: PASSWORD } });
      expect(login.status, login.text).to.equal(200);
      expect((await call(server.base, "GET", "/api/profile", { headers: { Authorization: `Bearer ${login.json.access_token as string}` } })).status).to.equal(200);
      // As the README's JWT walk: refresh, then go on with the new pair.
      const pair = await call(server.base, "POST", "/auth/refresh", { body: { refresh_token: login.json.refresh_token } });
      expect(pair.status, pair.text).to.equal(200);
      const bearer = { Authorization: `Bearer ${pair.json.access_token as string}` };
      expect((await call(server.base, "GET", "/auth/me", { headers: bearer })).status).to.equal(200);
      expect((await call(server.base, "POST", "/auth/logout", { headers: bearer })).status).to.equal(204);
      expect((await call(server.base, "GET", "/auth/me", { headers: bearer })).status).to.equal(401);
    });
    await server.stop();
  });

  it('a CommonJS app: require("express-gatehouse") and require("express-gatehouse/testing")', async () => {
    writeFileSync(join(app5, "cjs.cjs"), CJS_APP);
    const server = await serve(app5, ["cjs.cjs"], redis.url);
    await server.check(async () => {
      await sessionWalk(server);
      await badJson(server);
    });
    await server.stop();
  });

  it("README quick start (server.ts): typechecks under strict TypeScript and serves the curl walk, mail in /dev/outbox", async () => {
    const code = programs.get("server.ts");
    expect(code, "the README has a `// server.ts` block").to.be.a("string");
    handled.add("server.ts");
    await typecheck("app5");
    const server = await serve(app5, [join(app5, "node_modules/tsx/dist/cli.mjs"), "server.ts"], redis.url);
    await server.check(async () => {
      await sessionWalk(server, { hello: true, outbox: true });
      await badJson(server);
    });
    await server.stop();
  });

  it("README conformance sample (user-store.test.ts): typechecks and passes under node --test", async () => {
    const code = programs.get("user-store.test.ts");
    expect(code, "the README has a `// user-store.test.ts` block").to.be.a("string");
    handled.add("user-store.test.ts");
    await typecheck("app5");
    const out = await sh(app5, process.execPath, ["--import", "tsx", "--test", "user-store.test.ts"]);
    expect(out).to.match(/# pass [1-9]/);
    expect(out).to.match(/# fail 0/);
  });

  it("an Express 4 app on ioredis 5 (strict TypeScript, @types/passport beside): the walk, protect(), async errors", async () => {
    await typecheck("app4");
    const server = await serve(app4, [join(app5, "node_modules/tsx/dist/cli.mjs"), "server.ts"], redis.url);
    await server.check(async () => {
      await sessionWalk(server, { hello: true });
      await badJson(server);
      const email = `kay.${randomUUID()}@example.com`;
      await call(server.base, "POST", "/auth/register", { body: { email, password: PASSWORD } });
      const login = await call(server.base, "POST", "/auth/login", { body: { email, password: PASSWORD } });
      const cookie = login.cookies.find((c) => c.startsWith("gh.sid="))!.split(";")[0]!;
      const fail = await call(server.base, "GET", "/api/fail", { headers: { Cookie: cookie } });
      expect(fail.status).to.equal(500);
      expect(fail.json).to.deep.equal({ appHandled: "async failure" });
    });
    await server.stop();
  });

  it("every program of the README was compiled or run here", () => {
    expect([...programs.keys()].sort()).to.deep.equal([...handled].sort());
  });
});
