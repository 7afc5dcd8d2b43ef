/**
 * `npm run bench:profile -- <kind> [seconds] [login]`: where one server spends its CPU per
 * protected request (or, with `login` on a gatehouse kind, per POST /auth/login over 16
 * accounts at 8 connections). Starts `<kind>` (built JS, pinned like the bench) with
 * `node --cpu-prof`, loads GET /api/profile for `seconds` (default 5, at most 30) with 50 connections, stops it, and
 * prints self time by function and by package from the profile, plus requests/s and peak RSS.
 * The .cpuprofile stays in the printed directory (open it in Chrome DevTools).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { load, type LoadRequest } from "./load.js";
import { benchRedis } from "./redis.js";
import { benchIp, gatehouseRegister, isServerKind, PASSWORD, SERVER_KINDS, startServer } from "./server.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function where(url: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes("/dist/")) return "gatehouse (dist)";
  if (url.includes("/bench/")) return "bench server";
  if (url.startsWith("node:")) return url;
  return url === "" ? "(native / vm)" : url;
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? "gatehouse";
  const seconds = Math.min(30, Math.max(1, Number(process.argv[3] ?? 5) || 5));
  if (!isServerKind(kind)) throw new Error(`unknown kind ${kind}; one of ${Object.keys(SERVER_KINDS).join(", ")}`);
  for (const [cmd, args] of [
    ["npm", ["run", "--silent", "build"]],
    [process.execPath, [resolve(ROOT, "node_modules/typescript/bin/tsc"), "-p", resolve(ROOT, "bench")]],
  ] as const) {
    if (spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" }).status !== 0) throw new Error(`${cmd} failed`);
  }
  const dir = mkdtempSync(join(tmpdir(), "gh-prof-"));
  const redis = await benchRedis();
  try {
    const server = await startServer(kind, { redisUrl: redis.url, prefix: redis.prefix, nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`] });
    try {
      const auth = await SERVER_KINDS[kind].signIn(server.url);
      let spec = { origin: server.url, requests: [{ path: "/api/profile", headers: auth.headers }] as LoadRequest[], connections: 50 };
      if (process.argv[4] === "login") {
        const accounts = Array.from({ length: 16 }, (_, i) => ({ email: `prof-${i}@example.com`, ip: benchIp(i + 1) }));
        for (const a of accounts) await gatehouseRegister(server.url, a.email, PASSWORD, a.ip);
        const requests = accounts.map(({ email, ip }): LoadRequest => ({ method: "POST", path: "/auth/login", headers: { "content-type": "application/json", "x-forwarded-for": ip }, body: JSON.stringify({ email, password: PASSWORD }) }));
        spec = { origin: server.url, requests, connections: 8 };
      }
      await load({ ...spec, durationS: 1 });
      const r = await load({ ...spec, durationS: seconds });
      console.log(`${kind}: ${r.perSecond.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, peak RSS ${server.peakRssMB().toFixed(0)} MB (profiler on)`);
    } finally {
      await server.stop();
    }
  } finally {
    await redis.cleanup();
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: ProfileNode[] };
  const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = `${functionName || "(anonymous)"} ${where(url)}:${lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    byPkg.set(where(url), (byPkg.get(where(url)) ?? 0) + hits);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join("\n");
  console.log(`\nself time by package (${total} samples):\n${top(byPkg, 15)}`);
  console.log(`\nself time by function:\n${top(byFn, 30)}`);
  console.log(`\nprofile: ${join(dir, file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
