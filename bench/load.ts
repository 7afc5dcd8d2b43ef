/**
 * The load generator, always in its own process pinned to its own core (never in the bench's
 * parent, never on a server's core): wrk when it is installed, else autocannon run by
 * bench/autocannon-runner.ts in a child. Both take a {@link LoadSpec} and give a {@link LoadResult}.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One request of a rotation: every connection sends the next one in turn. */
export interface LoadRequest {
  method?: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  /** `http://127.0.0.1:port` (loopback only). */
  origin: string;
  /** Sent in turn; one entry for a fixed request. */
  requests: readonly LoadRequest[];
  connections: number;
  durationS: number;
}

/** What one run measured; latencies in ms. Only 2xx/3xx count as throughput (wrk's rule). */
export interface LoadResult {
  ok: number;
  /** Answers with status >= 400 (or non-2xx for autocannon). */
  bad: number;
  /** Connect/read/write errors and timeouts. */
  errors: number;
  durationS: number;
  perSecond: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  tool: "wrk" | "autocannon";
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** The core the load generator (and Redis) run on; servers get {@link SERVER_CORE}. */
export const LOAD_CORE = "1";
export const SERVER_CORE = "0";

let wrkAvailable: boolean | undefined;

/** True when `wrk` runs. */
export function hasWrk(): boolean {
  wrkAvailable ??= spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
  return wrkAvailable;
}

/** True when `taskset` runs (util-linux); without it nothing is pinned and the report says so. */
export function hasTaskset(): boolean {
  return spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore" }).status === 0;
}

/** `[command, args]` pinned to `core` when taskset exists. */
export function pinned(core: string, command: string, args: string[]): [string, string[]] {
  return hasTaskset() ? ["taskset", ["-c", core, command, ...args]] : [command, args];
}

/** A run may take this long past its duration before it is killed. */
const GRACE_MS = 20_000;

export function load(spec: LoadSpec): Promise<LoadResult> {
  if (!spec.origin.startsWith("http://127.0.0.1:")) throw new Error(`load: loopback only, got ${spec.origin}`);
  return hasWrk() ? wrk(spec) : autocannon(spec);
}

function lua(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid Lua string literal for our ASCII contents
}

/** The wrk script: rotate through the requests, print a JSON summary at the end. */
function wrkScript(spec: LoadSpec): string {
  const reqs = spec.requests
    .map((r) => {
      const headers = Object.entries(r.headers ?? {})
        .map(([k, v]) => `[${lua(k)}]=${lua(v)}`)
        .join(",");
      return `wrk.format(${lua(r.method ?? "GET")}, ${lua(r.path)}, {${headers}}, ${r.body === undefined ? "nil" : lua(r.body)})`;
    })
    .join(",\n  ");
  return `
local reqs = {}
local i = 0
init = function(args)
  reqs = {
  ${reqs}
  }
  i = math.random(#reqs) - 1
end
request = function()
  i = (i % #reqs) + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50":%d,"p99":%d,"mean":%f,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
`;
}

function wrk(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "gh-bench-"));
  const script = join(dir, "load.lua");
  writeFileSync(script, wrkScript(spec));
  const [cmd, args] = pinned(LOAD_CORE, "wrk", ["-t1", `-c${spec.connections}`, `-d${spec.durationS}s`, "--timeout", "10s", "-s", script, spec.origin]);
  return new Promise((done, fail) => {
    execFile(cmd, args, { timeout: spec.durationS * 1000 + GRACE_MS, maxBuffer: 1 << 20 }, (err, stdout) => {
      rmSync(dir, { recursive: true, force: true });
      if (err) return fail(new Error(`wrk failed: ${err.message}`));
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (!line) return fail(new Error(`wrk printed no summary: ${stdout}`));
      const r = JSON.parse(line) as Record<string, number>;
      const durationS = r.durationUs! / 1e6;
      const errors = r.connect! + r.read! + r.write! + r.timeout!;
      const ok = r.requests! - r.status!;
      done({ ok, bad: r.status!, errors, durationS, perSecond: ok / durationS, p50: r.p50! / 1000, p99: r.p99! / 1000, mean: r.mean! / 1000, max: r.max! / 1000, tool: "wrk" });
    });
  });
}

function autocannon(spec: LoadSpec): Promise<LoadResult> {
  const [cmd, args] = pinned(LOAD_CORE, process.execPath, ["--import", "tsx", resolve(HERE, "autocannon-runner.ts"), JSON.stringify(spec)]);
  return new Promise((done, fail) => {
    execFile(cmd, args, { timeout: spec.durationS * 1000 + GRACE_MS, maxBuffer: 1 << 20, cwd: resolve(HERE, "..") }, (err, stdout) => {
      if (err) return fail(new Error(`autocannon failed: ${err.message}`));
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (!line) return fail(new Error(`autocannon printed no summary: ${stdout}`));
      done({ ...(JSON.parse(line) as Omit<LoadResult, "tool">), tool: "autocannon" });
    });
  });
}
