/**
 * `npm run bench`: Gatehouse in both modes side by side with the stacks an app would otherwise
 * use, each server from built JavaScript on a core of its own, the load generator (wrk, or
 * autocannon in its own process) and Redis on the other. See bench/README.md.
 */
import { spawnSync, execFileSync } from "node:child_process";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median, spread } from "./measure.js";
import { hasTaskset, hasWrk, load, LOAD_CORE, pinned, SERVER_CORE, type LoadRequest, type LoadResult } from "./load.js";
import { benchRedis } from "./redis.js";
import { measureMemory } from "./memory.js";
import { fmtInt, fmtMs, heading, ratioLine, table } from "./report.js";
import { benchIp, gatehouseRegister, PASSWORD, SERVER_KINDS, startServer, type RunningServer, type ServerKindName, type SignedIn } from "./server.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");

/** The whole run is stopped past this. */
const BUDGET_MS = 420_000;

const reps = Math.min(9, Math.max(1, Number(process.env.BENCH_REPS ?? 3) || 3));
/** `BENCH_SECTIONS=throughput,login,burst,memory` (the default: all) runs only those. */
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? "throughput,login,burst,memory").split(","));

/** Durations in seconds, and concurrencies. */
export const PLAN = {
  throughput: { connections: 50, durationS: 5, warmupS: 1, reps },
  login: { connections: 8, durationS: 8, warmupS: 2, accounts: 64 },
  burst: { connections: 1, burstConnections: 16, durationS: 4, warmupS: 1 },
  hashRateS: 4,
  /** Seconds of load on each server right after it starts (not measured): JIT warm-up. */
  primeS: 2,
};

/** The targets of bench/README.md (ratios, one run). */
export const TARGETS = {
  session: { vsExpressSession: 1.2, p99VsExpressSession: 1.2, rssVsExpressSession: 1.3, vsCeiling: 0.7 },
  jwt: { vsJose: 1.0, p99VsJose: 1.2, vsCeiling: 0.8 },
  loginVsHashBound: 0.9,
  burst: { p50: 1.5, p99: 3 },
};

/** Section 1's servers, in the order of the first repetition. */
const KINDS = ["bare", "redis-get", "bare-session", "passport", "gatehouse", "bare-jwt", "gatehouse-jwt"] as const satisfies readonly ServerKindName[];

interface Target {
  kind: ServerKindName;
  server: RunningServer;
  auth: SignedIn;
  /** Accounts for the login benches (gatehouse kinds). */
  accounts: { email: string; ip: string }[];
}

function profileRequest(t: Target): LoadRequest {
  return { path: "/api/profile", headers: t.auth.headers };
}

/** One POST /auth/login per account in turn, each from the account's own address. */
function loginRequests(t: Target): LoadRequest[] {
  return t.accounts.map(({ email, ip }) => ({
    method: "POST",
    path: "/auth/login",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify({ email, password: PASSWORD }),
  }));
}

function origin(t: Target): string {
  return t.server.url;
}

/** `bad/errors` of a run. */
function errorsOf(r: LoadResult): string {
  return `${r.bad}/${r.errors}`;
}

/** The hash-bound limit: argon2id verifies/s on the server core, the better of 1 and 2 at once. */
function hashBound(seconds: number): { verifyMs: number; perSecond: number; byConcurrency: Record<number, number> } {
  const byConcurrency: Record<number, number> = {};
  let verifyMs = NaN;
  for (const c of [1, 2]) {
    const [cmd, args] = pinned(SERVER_CORE, process.execPath, [resolve(ROOT, "bench/.build/hash-rate.js"), String(c), String(seconds)]);
    const out = execFileSync(cmd, args, { timeout: (seconds + 30) * 1000, encoding: "utf8" });
    const r = JSON.parse(out.trim().split("\n").pop()!) as { verifyMs: number; perSecond: number };
    byConcurrency[c] = r.perSecond;
    if (c === 1) verifyMs = r.verifyMs;
  }
  return { verifyMs, perSecond: Math.max(...Object.values(byConcurrency)), byConcurrency };
}

const load1 = () => loadavg()[0]!.toFixed(2);

async function main(): Promise<void> {
  const started = Date.now();
  // The servers and the hash-rate probe run from built JavaScript.
  for (const [cmd, args] of [
    ["npm", ["run", "--silent", "build"]],
    [process.execPath, [resolve(ROOT, "node_modules/typescript/bin/tsc"), "-p", resolve(ROOT, "bench")]],
  ] as const) {
    const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed`);
  }
  const redis = await benchRedis();
  const servers: RunningServer[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await redis.cleanup();
    })());
  const watchdog = setTimeout(() => {
    console.error(`bench: over the ${BUDGET_MS / 1000} s budget; stopping.`);
    void cleanup().finally(() => process.exit(1));
  }, BUDGET_MS);
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

  /** Registers `accounts` accounts, each from its own address; bounded, 4 at a time. */
  const addAccounts = async (target: Target, accounts: number): Promise<void> => {
    const { server, accounts: list } = target;
    for (let i = list.length; i < accounts; i += 4) {
      const batch = Array.from({ length: Math.min(4, accounts - i) }, (_, j) => ({ email: `load-${i + j}@example.com`, ip: benchIp(i + j + 1) }));
      await Promise.all(batch.map((a) => gatehouseRegister(server.url, a.email, PASSWORD, a.ip)));
      list.push(...batch);
    }
  };

  const launch = async (kind: ServerKindName, accounts = 0): Promise<Target> => {
    const server = await startServer(kind, { redisUrl: redis.url, prefix: redis.prefix });
    servers.push(server);
    const auth = await SERVER_KINDS[kind].signIn(server.url);
    const probe = await fetch(`${server.url}/api/profile`, { headers: auth.headers, signal: AbortSignal.timeout(10_000) });
    if (probe.status !== 200) throw new Error(`${kind}: GET /api/profile answered ${probe.status} after sign-in`);
    const target: Target = { kind, server, auth, accounts: [] };
    await addAccounts(target, accounts);
    await load({ origin: server.url, requests: [profileRequest(target)], connections: PLAN.throughput.connections, durationS: PLAN.primeS });
    return target;
  };

  try {
    const cores = availableParallelism();
    const tp = PLAN.throughput;
    console.log(`gatehouse bench: node ${process.version}, ${cores} cores (${cpus()[0]?.model.trim() ?? "?"}), ${redis.description}`);
    console.log(
      hasTaskset()
        ? `Each server pinned to core ${SERVER_CORE}; load generator (${hasWrk() ? "wrk" : "autocannon, own process"}) and Redis pinned to core ${LOAD_CORE}.`
        : `taskset not found: NOTHING IS PINNED; load generator: ${hasWrk() ? "wrk" : "autocannon, own process"}. Figures are not comparable with pinned runs.`,
    );
    console.log(`Load average (1 min) at start: ${load1()}`);

    const targets = new Map<ServerKindName, Target>();
    // The login accounts are registered after section 1: their argon2 hashes (19 MiB each)
    // would otherwise count in the gatehouse servers' peak RSS there.
    for (const kind of KINDS) targets.set(kind, await launch(kind));

    // (1) Protected request throughput, every server side by side.
    if (SECTIONS.has("throughput")) {
    console.log(heading(`1. GET /api/profile, ${tp.connections} connections, ${tp.durationS} s per run (+${tp.warmupS} s warm-up), ${tp.reps} alternating repetitions`));
    const runs = new Map<ServerKindName, LoadResult[]>(KINDS.map((k) => [k, []]));
    /** CPU microseconds per answered request, per run. */
    const cpuPerRequest = new Map<ServerKindName, number[]>(KINDS.map((k) => [k, []]));
    const loads: string[] = [];
    for (let rep = 0; rep < tp.reps; rep++) {
      const order = rep % 2 === 0 ? KINDS : [...KINDS].reverse();
      loads.push(load1());
      for (const kind of order) {
        const t = targets.get(kind)!;
        const spec = { origin: origin(t), requests: [profileRequest(t)], connections: tp.connections };
        await load({ ...spec, durationS: tp.warmupS });
        const cpu0 = t.server.cpuSeconds();
        const r = await load({ ...spec, durationS: tp.durationS });
        runs.get(kind)!.push(r);
        cpuPerRequest.get(kind)!.push(((t.server.cpuSeconds() - cpu0) * 1e6) / Math.max(1, r.ok + r.bad));
      }
    }
    console.log(`load average before each repetition: ${loads.join(", ")}`);
    const med = (kind: ServerKindName, f: (r: LoadResult) => number) => median(runs.get(kind)!.map(f));
    const rss = (kind: ServerKindName) => targets.get(kind)!.server.peakRssMB();
    console.log(
      table(
        ["server", "req/s median [min-max]", "p50 ms", "p99 ms [min-max]", "CPU us/req", "peak RSS MB", "bad/err"],
        KINDS.map((kind) => {
          const r = runs.get(kind)!;
          return [
            `${kind}: ${SERVER_KINDS[kind].label}`,
            spread(r.map((x) => x.perSecond), fmtInt),
            fmtMs(med(kind, (x) => x.p50)),
            spread(r.map((x) => x.p99), fmtMs),
            fmtInt(median(cpuPerRequest.get(kind)!)),
            rss(kind).toFixed(0),
            r.map(errorsOf).join(" "),
          ];
        }),
      ),
    );
    const rps = (k: ServerKindName) => med(k, (x) => x.perSecond);
    const p99 = (k: ServerKindName) => med(k, (x) => x.p99);
    const s = TARGETS.session;
    console.log("session mode:");
    console.log(ratioLine("  gatehouse / express-session req/s", rps("gatehouse") / rps("bare-session"), { min: s.vsExpressSession, asFactor: true }));
    console.log(ratioLine("  gatehouse / express-session p99  ", p99("gatehouse") / p99("bare-session"), { max: s.p99VsExpressSession, asFactor: true }));
    console.log(ratioLine("  gatehouse / express-session RSS  ", rss("gatehouse") / rss("bare-session"), { max: s.rssVsExpressSession, asFactor: true }));
    console.log(ratioLine("  gatehouse / one-GET ceiling req/s", rps("gatehouse") / rps("redis-get"), { min: s.vsCeiling, asFactor: true }));
    console.log(ratioLine("  gatehouse / passport req/s       ", rps("gatehouse") / rps("passport"), { asFactor: true }));
    const cpu = (k: ServerKindName) => median(cpuPerRequest.get(k)!);
    console.log(ratioLine("  CPU per request, gatehouse / express-session (lower is better; robust to neighbours)", cpu("gatehouse") / cpu("bare-session"), { asFactor: true }));
    console.log(ratioLine("  CPU per request, gatehouse / one-GET ceiling", cpu("gatehouse") / cpu("redis-get"), { asFactor: true }));
    const j = TARGETS.jwt;
    console.log("JWT mode:");
    console.log(ratioLine("  gatehouse-jwt / bare jose req/s  ", rps("gatehouse-jwt") / rps("bare-jwt"), { min: j.vsJose, asFactor: true }));
    console.log(ratioLine("  gatehouse-jwt / bare jose p99    ", p99("gatehouse-jwt") / p99("bare-jwt"), { max: j.p99VsJose, asFactor: true }));
    console.log(ratioLine("  gatehouse-jwt / one-GET ceiling  ", rps("gatehouse-jwt") / rps("redis-get"), { min: j.vsCeiling, asFactor: true }));
    console.log(ratioLine("  CPU per request, gatehouse-jwt / bare jose", cpu("gatehouse-jwt") / cpu("bare-jwt"), { asFactor: true }));
    console.log(ratioLine("ceiling: one-GET / bare express req/s", rps("redis-get") / rps("bare"), { asFactor: true }));
    }
    for (const kind of ["gatehouse", "gatehouse-jwt"] as const) await addAccounts(targets.get(kind)!, PLAN.login.accounts);

    // (2) Login with the default rate limits and lockout on, against the hash-bound limit.
    const lp = PLAN.login;
    if (SECTIONS.has("login")) {
    console.log(heading(`2. POST /auth/login (right password), default rate limits on, ${lp.connections} connections over ${lp.accounts} accounts, ${lp.durationS} s (+${lp.warmupS} s warm-up)`));
    // The hash-bound limit is measured right before and right after each login run, on the
    // same core: whatever else runs on the machine then weighs on both alike.
    // bare-login is the floor: an Express login that does nothing but the hash (and has no
    // accounts: it takes the same requests as gatehouse's).
    const floor = await launch("bare-login");
    floor.accounts = targets.get("gatehouse")!.accounts;
    const loginRows: string[][] = [];
    const loginRatios: string[] = [];
    const perBound = new Map<ServerKindName, number>();
    for (const [kind, t] of [["bare-login", floor], ["gatehouse", targets.get("gatehouse")!], ["gatehouse-jwt", targets.get("gatehouse-jwt")!]] as const) {
      const spec = { origin: origin(t), requests: loginRequests(t), connections: lp.connections };
      const before = hashBound(PLAN.hashRateS);
      await load({ ...spec, durationS: lp.warmupS });
      const [cpu0, loop0] = [t.server.cpuSeconds(), t.server.loopCpuSeconds()];
      const r = await load({ ...spec, durationS: lp.durationS });
      const [cpu1, loop1] = [t.server.cpuSeconds(), t.server.loopCpuSeconds()];
      const after = hashBound(PLAN.hashRateS);
      const bound = (before.perSecond + after.perSecond) / 2;
      perBound.set(kind, r.perSecond / bound);
      const logins = Math.max(1, r.ok + r.bad);
      const msPerLogin = (s: number) => fmtMs((s * 1000) / logins);
      const fmtBound = (b: typeof before) => `${Object.entries(b.byConcurrency).map(([c, v]) => `${v.toFixed(1)} (${c} at once)`).join(", ")}; one verify ${fmtMs(b.verifyMs)} ms`;
      loginRows.push([`hash-bound before ${kind}: argon2id verifies/s on core ${SERVER_CORE}`, fmtBound(before)]);
      loginRows.push([`${kind} logins/s (load ${load1()})`, `${r.perSecond.toFixed(1)}  p50 ${fmtMs(r.p50)} ms, p99 ${fmtMs(r.p99)} ms, bad/err ${errorsOf(r)}`]);
      loginRows.push([`${kind} CPU per login`, `event loop ${msPerLogin(loop1 - loop0)} ms, other threads (hashing) ${msPerLogin(cpu1 - cpu0 - (loop1 - loop0))} ms`]);
      loginRows.push([`hash-bound after ${kind}`, fmtBound(after)]);
      const what = `${kind} logins / hash-bound limit (${bound.toFixed(1)}/s, mean of before and after)`;
      loginRatios.push(kind === "bare-login" ? ratioLine(`${what}: the floor`, r.perSecond / bound, { asFactor: true }) : ratioLine(what, r.perSecond / bound, { min: TARGETS.loginVsHashBound, asFactor: true }));
      await sleep(500);
    }
    await floor.server.stop();
    console.log(table(["figure", "value"], loginRows));
    for (const line of loginRatios) console.log(line);
    for (const kind of ["gatehouse", "gatehouse-jwt"] as const) console.log(ratioLine(`${kind} / bare-login, each against its own hash-bound limit`, perBound.get(kind)! / perBound.get("bare-login")!, { asFactor: true }));
    }

    // (3) Latency of a protected request during a login burst, both modes.
    const bp = PLAN.burst;
    if (SECTIONS.has("burst")) {
    console.log(heading(`3. GET /api/profile at ${bp.connections} connection: ${bp.durationS} s idle, then ${bp.durationS} s during a login burst (${bp.burstConnections} connections, limits on)`));
    for (const kind of ["gatehouse", "gatehouse-jwt"] as const) {
      const t = targets.get(kind)!;
      const probe = { origin: origin(t), requests: [profileRequest(t)], connections: bp.connections };
      await load({ ...probe, durationS: bp.warmupS });
      const idle = await load({ ...probe, durationS: bp.durationS });
      const [busy, burst] = await Promise.all([
        load({ ...probe, durationS: bp.durationS }),
        load({ origin: origin(t), requests: loginRequests(t), connections: bp.burstConnections, durationS: bp.durationS }),
      ]);
      console.log(`${kind} (load ${load1()}):`);
      console.log(
        table(
          ["GET /api/profile", "p50 ms", "p99 ms", "mean ms", "req/s", "bad/err"],
          [
            ["idle", idle],
            ["during burst", busy],
          ].map(([name, r]) => {
            const x = r as LoadResult;
            return [name as string, fmtMs(x.p50), fmtMs(x.p99), fmtMs(x.mean), fmtInt(x.perSecond), errorsOf(x)];
          }),
        ),
      );
      console.log(`login burst meanwhile: ${burst.perSecond.toFixed(1)} logins/s, bad/err ${errorsOf(burst)}`);
      console.log(ratioLine("  p50 during burst / idle", busy.p50 / idle.p50, { max: TARGETS.burst.p50, asFactor: true }));
      console.log(ratioLine("  p99 during burst / idle", busy.p99 / idle.p99, { max: TARGETS.burst.p99, asFactor: true }));
      await sleep(1000);
    }
    }

    // (4) Redis memory per user, session and refresh family.
    if (SECTIONS.has("memory")) {
    const mem = await measureMemory(redis.url, redis.prefix);
    console.log(heading(`4. Capacity: Redis memory per record (growth of used_memory over ${fmtInt(mem.n)} of each)`));
    const perGb = (bytes: number) => fmtInt(1e9 / bytes);
    console.log(
      table(
        ["record", "bytes each", "per GB of Redis memory"],
        [
          ["user (record + email index)", fmtInt(mem.perUser), perGb(mem.perUser)],
          ["session (session + index entry), session mode", fmtInt(mem.perSession), perGb(mem.perSession)],
          ["refresh family (family + index entry), JWT mode", fmtInt(mem.perFamily), perGb(mem.perFamily)],
        ],
      ),
    );
    }
    console.log(`\nload average at the end: ${load1()}; done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
