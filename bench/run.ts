/**
 * `npm run bench`: Gatehouse against a bare express-session + connect-redis stack and a bare
 * Express route (session mode), against a bare jose route (JWT mode), on a Redis Cluster, and as
 * two processes, each measured side by side in one run against the same Redis. See bench/README.md.
 */
import { availableParallelism, cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { argon2id, hash, verify } from "argon2";
import { startCluster, type LocalCluster } from "../spec/helpers/cluster.js";
import { combine, mean, measure, median, type Measurement } from "./measure.js";
import { benchRedis } from "./redis.js";
import { measureMemory } from "./memory.js";
import { fmtInt, fmtMs, heading, ratioLine, table } from "./report.js";
import { clusterUrl, PASSWORD, SERVER_KINDS, startServer, type RunningServer, type ServerKindName, type SignedIn } from "./server.js";

/** The whole run is stopped past this (the budget is 4 minutes; a normal run takes about 2.5). */
const BUDGET_MS = 230_000;

/** Durations in seconds, and concurrencies. */
export const PLAN = {
  throughput: { connections: 10, durationS: 5, warmupS: 1, rounds: 2 },
  login: { connections: 8, durationS: 6, warmupS: 1 },
  latency: { connections: 1, burstConnections: 16, durationS: 4, warmupS: 1 },
  verifySamples: 15,
  /** Seconds of `GET /api/profile` load on each server right after it starts (not measured), so no server's first round pays for its JIT warm-up. */
  primeS: 2,
  /** Masters of the local Redis Cluster of section 6. */
  clusterSize: 3,
  /** Server processes sharing `throughput.connections` in section 7. */
  instances: 2,
};

export type ThroughputPlan = typeof PLAN.throughput;

/** Gatehouse's default argon2id parameters (lib/options.ts). */
export const ARGON2_DEFAULTS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** The targets of bench/README.md. */
export const TARGETS = { vsSession: 1, vsHashBound: 0.85, burstLatency: 2, jwtVsBare: 0.8 };

/** The server kinds of section 1 (session mode) and section 4 (JWT mode). */
const SESSION_KINDS = ["gatehouse", "bare-session", "bare"] as const satisfies readonly ServerKindName[];
const JWT_KINDS = ["gatehouse-jwt", "bare-jwt"] as const satisfies readonly ServerKindName[];

/** A running server and the headers that sign its requests in. */
export interface Target {
  kind: ServerKindName;
  server: RunningServer;
  auth: SignedIn;
}

/** `non-2xx/errors`, and which statuses the non-2xx were (`3/0 (429:3)`). */
export function errorsOf(m: Measurement): string {
  const codes = Object.entries(m.statusCodes)
    .filter(([code]) => !code.startsWith("2"))
    .map(([code, n]) => `${code}:${n}`);
  return `${m.non2xx}/${m.errors}${codes.length ? ` (${codes.join(" ")})` : ""}`;
}

/** One row of a throughput comparison: a name, a description, and how to load it once. */
export interface Contender {
  name: string;
  label: string;
  run(plan: ThroughputPlan): Promise<Measurement>;
}

/** `GET /api/profile` on one server with all the plan's connections. */
export function onServer(t: Target, name: string = t.kind, label: string = SERVER_KINDS[t.kind].label): Contender {
  return { name, label, run: (plan) => measure(name, `${t.server.url}/api/profile`, { ...plan, headers: t.auth.headers }) };
}

/**
 * `GET /api/profile` on several servers at once, the plan's connections split evenly between
 * them (one autocannon per server, started together): 2xx/s add up, latencies are merged.
 */
export function splitAcross(targets: readonly Target[], name: string, label: string): Contender {
  return {
    name,
    label,
    async run(plan) {
      const connections = Math.max(1, Math.floor(plan.connections / targets.length));
      const runs = await Promise.all(
        targets.map((t, i) => measure(`${name}#${i + 1}`, `${t.server.url}/api/profile`, { ...plan, connections, headers: t.auth.headers })),
      );
      return combine(name, runs);
    },
  };
}

/** Runs every contender once per round, alternately: odd rounds in order, even rounds reversed (cancels drift). */
export async function alternate(contenders: readonly Contender[], plan: ThroughputPlan = PLAN.throughput): Promise<Map<string, Measurement[]>> {
  const results = new Map<string, Measurement[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < plan.rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) results.get(c.name)!.push(await c.run(plan));
  }
  return results;
}

/** (1) `GET /api/profile` on each target, alternately: round 1 in order, round 2 reversed. */
export async function protectedThroughput(targets: Target[], plan = PLAN.throughput): Promise<Map<string, Measurement[]>> {
  return alternate(
    targets.map((t) => onServer(t)),
    plan,
  );
}

/** The mean 2xx/s of a contender over its rounds. */
const meanRps = (results: Map<string, Measurement[]>, name: string) => mean(results.get(name)!.map((m) => m.perSecond));

/** The table of sections 1, 4, 6 and 7: each round's req/s, their mean, mean p50/p99, errors. */
function throughputTable(contenders: readonly Contender[], results: Map<string, Measurement[]>, rounds: number): string {
  return table(
    ["server", ...Array.from({ length: rounds }, (_, i) => `round ${i + 1} req/s`), "mean req/s", "p50 ms", "p99 ms", "non-2xx/err"],
    contenders.map(({ name, label }) => {
      const runs = results.get(name)!;
      return [
        `${name}: ${label}`,
        ...runs.map((m) => fmtInt(m.perSecond)),
        fmtInt(meanRps(results, name)),
        fmtMs(mean(runs.map((m) => m.latency.p50))),
        fmtMs(mean(runs.map((m) => m.latency.p99))),
        runs.map(errorsOf).join(" "),
      ];
    }),
  );
}

/** `throughput.connections`, `durationS`, `warmupS` and `rounds` in words, for headings. */
function describePlan(plan: ThroughputPlan, connections = `${plan.connections} connections`): string {
  return `${connections}, ${plan.durationS} s per run (+${plan.warmupS} s warm-up), ${plan.rounds} alternating rounds`;
}

/** The median time of one argon2id verify, in ms, measured sequentially in this process. */
export async function verifyTimeMs(samples = PLAN.verifySamples, params = ARGON2_DEFAULTS): Promise<number> {
  const digest = await hash(PASSWORD, { type: argon2id, ...params });
  await verify(digest, PASSWORD); // warm-up
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    if (!(await verify(digest, PASSWORD))) throw new Error("argon2 verify failed");
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * argon2id verifies per second with `concurrency` running at once, in this process, for about
 * `seconds`: what the machine's hashing really delivers in parallel (vCPUs may not scale).
 */
export async function parallelVerifyRate(concurrency: number, seconds = 3, params = ARGON2_DEFAULTS): Promise<number> {
  const digest = await hash(PASSWORD, { type: argon2id, ...params });
  const maxPerWorker = 2000;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < maxPerWorker && performance.now() < end; i++) {
        await verify(digest, PASSWORD);
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/** `POST /auth/login` with the right password for the account behind `target`. */
export function loginRequest(target: Target) {
  const credentials = target.auth.credentials;
  if (!credentials) throw new Error(`${target.kind} has no account to log in with`);
  return {
    url: `${target.server.url}/auth/login`,
    method: "POST" as const,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(credentials),
  };
}

/** What {@link latencyUnderBurst} measured. */
export interface BurstLatency {
  idle: Measurement;
  busy: Measurement;
  burst: Measurement;
}

/**
 * (3, 5) `GET /api/profile` on `target` at `plan.connections`, idle, then while a second
 * autocannon sends `POST /auth/login` (right password) to the same server on `burstConnections`.
 */
export async function latencyUnderBurst(target: Target, plan = PLAN.latency): Promise<BurstLatency> {
  const url = `${target.server.url}/api/profile`;
  const login = loginRequest(target);
  const idle = await measure("idle", url, { connections: plan.connections, durationS: plan.durationS, warmupS: plan.warmupS, headers: target.auth.headers });
  const [busy, burst] = await Promise.all([
    measure("during burst", url, { connections: plan.connections, durationS: plan.durationS, warmupS: 0, headers: target.auth.headers }),
    measure("burst", login.url, { ...login, connections: plan.burstConnections, durationS: plan.durationS, warmupS: 0 }),
  ]);
  return { idle, busy, burst };
}

function printBurstLatency({ idle, busy, burst }: BurstLatency): void {
  console.log(
    table(
      ["GET /api/profile", "p50 ms", "p99 ms", "mean ms", "req/s", "non-2xx/err"],
      [idle, busy].map((m) => [m.kind, fmtMs(m.latency.p50), fmtMs(m.latency.p99), fmtMs(m.latency.mean), fmtInt(m.perSecond), errorsOf(m)]),
    ),
  );
  console.log(`login burst meanwhile: ${burst.perSecond.toFixed(1)} logins/s, p50 ${fmtMs(burst.latency.p50)} ms, non-2xx/err ${errorsOf(burst)}`);
  console.log(ratioLine("p50 during burst / idle", busy.latency.p50 / idle.latency.p50, { max: TARGETS.burstLatency, asFactor: true }));
  console.log(ratioLine("p99 during burst / idle", busy.latency.p99 / idle.latency.p99, { asFactor: true }));
}

async function main(): Promise<void> {
  const started = Date.now();
  const redis = await benchRedis();
  const servers: RunningServer[] = [];
  let cluster: LocalCluster | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await cluster?.stop();
      await redis.cleanup();
    })());
  const watchdog = setTimeout(() => {
    console.error(`bench: over the ${BUDGET_MS / 1000} s budget; stopping.`);
    void cleanup().finally(() => process.exit(1));
  }, BUDGET_MS);
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));

  /** Starts a server of `kind` on `redisUrl`, signs in (or uses `auth`), checks that the profile answers 200, primes it. */
  const launch = async (kind: ServerKindName, options: { redisUrl?: string; auth?: SignedIn } = {}): Promise<Target> => {
    const server = await startServer(kind, { redisUrl: options.redisUrl ?? redis.url, prefix: redis.prefix });
    servers.push(server);
    const auth = options.auth ?? (await SERVER_KINDS[kind].signIn(server.url));
    const probe = await fetch(`${server.url}/api/profile`, { headers: auth.headers, signal: AbortSignal.timeout(10_000) });
    if (probe.status !== 200) throw new Error(`${kind}: GET /api/profile answered ${probe.status} after sign-in`);
    await measure("prime", `${server.url}/api/profile`, { connections: PLAN.throughput.connections, durationS: PLAN.primeS, warmupS: 0, headers: auth.headers });
    return { kind, server, auth };
  };

  try {
    const cores = availableParallelism();
    console.log(`gatehouse bench: node ${process.version}, ${cores} cores (${cpus()[0]?.model.trim() ?? "?"}), ${redis.description}`);
    console.log("Servers run in their own processes on 127.0.0.1; load comes from autocannon in this process.");
    console.log(`Load average at start: ${loadavg()[0]!.toFixed(2)} (anything else running on these ${cores} cores skews the figures).`);

    const targets: Target[] = [];
    for (const kind of SESSION_KINDS) targets.push(await launch(kind));
    const gatehouse = targets[0]!;
    const tp = PLAN.throughput;

    // (1) Protected request throughput.
    console.log(heading(`1. Protected request: GET /api/profile, ${describePlan(tp)}`));
    const sessionContenders = targets.map((t) => onServer(t));
    const throughput = await alternate(sessionContenders, tp);
    console.log(throughputTable(sessionContenders, throughput, tp.rounds));
    console.log(ratioLine("gatehouse / bare-session", meanRps(throughput, "gatehouse") / meanRps(throughput, "bare-session"), { min: TARGETS.vsSession }));
    console.log(ratioLine("gatehouse / bare        ", meanRps(throughput, "gatehouse") / meanRps(throughput, "bare")));

    // (2) Login throughput against the hash-bound limit.
    const lp = PLAN.login;
    console.log(heading(`2. Login: POST /auth/login (correct password), ${lp.connections} connections, ${lp.durationS} s (+${lp.warmupS} s warm-up)`));
    const verifyMs = await verifyTimeMs();
    const limit = cores / (verifyMs / 1000);
    const parallelRate = await parallelVerifyRate(cores);
    const login = loginRequest(gatehouse);
    const logins = await measure("login", login.url, { ...lp, ...login });
    const p = ARGON2_DEFAULTS;
    console.log(
      table(
        ["figure", "value"],
        [
          [`argon2id verify, m=${p.memoryCost} t=${p.timeCost} p=${p.parallelism} (median of ${PLAN.verifySamples}, sequential)`, `${fmtMs(verifyMs)} ms`],
          [`hash-bound limit = ${cores} cores / verify time`, `${limit.toFixed(1)} logins/s`],
          [`for reference: argon2id verifies/s with ${cores} at once (3 s, no server work)`, `${parallelRate.toFixed(1)} verifies/s`],
          ["gatehouse logins", `${logins.perSecond.toFixed(1)} logins/s`],
          ["login latency p50 / p99", `${fmtMs(logins.latency.p50)} / ${fmtMs(logins.latency.p99)} ms`],
          ["non-2xx / errors", errorsOf(logins)],
        ],
      ),
    );
    console.log(ratioLine("gatehouse logins / hash-bound limit", logins.perSecond / limit, { min: TARGETS.vsHashBound }));
    console.log(ratioLine("gatehouse logins / measured parallel verify rate", logins.perSecond / parallelRate));

    // (3) Latency of a protected request, idle and during a login burst.
    const lt = PLAN.latency;
    const latencyHeading = (mode: string) =>
      `GET /api/profile at ${lt.connections} connection${mode}, ${lt.durationS} s idle, then ${lt.durationS} s during a login burst (${lt.burstConnections} connections)`;
    console.log(heading(`3. Latency: ${latencyHeading("")}`));
    await sleep(500); // let the login run drain
    printBurstLatency(await latencyUnderBurst(gatehouse));
    await sleep(1000); // let the burst's queued logins drain

    // (4) JWT mode: gatehouse's bearer check against a bare jose route.
    const jwtTargets: Target[] = [];
    for (const kind of JWT_KINDS) jwtTargets.push(await launch(kind));
    console.log(heading(`4. JWT mode: GET /api/profile with a Bearer token, ${describePlan(tp)}`));
    const jwtContenders = jwtTargets.map((t) => onServer(t));
    const jwtThroughput = await alternate(jwtContenders, tp);
    console.log(throughputTable(jwtContenders, jwtThroughput, tp.rounds));
    console.log(ratioLine("gatehouse-jwt / bare-jwt", meanRps(jwtThroughput, "gatehouse-jwt") / meanRps(jwtThroughput, "bare-jwt"), { min: TARGETS.jwtVsBare }));
    console.log("Same token, key and checks on both; the gap is gatehouse's one Redis round trip per request (the HGETALL");
    console.log("of the token's refresh family), which lets logout and revocation end access tokens at once.");

    // (5) JWT latency during a login burst.
    const gatehouseJwt = jwtTargets[0]!;
    console.log(heading(`5. JWT latency: ${latencyHeading(', mode "jwt"')}`));
    printBurstLatency(await latencyUnderBurst(gatehouseJwt));
    await sleep(1000); // let the burst's queued logins drain

    // (6) The same protected request on a local Redis Cluster.
    const size = PLAN.clusterSize;
    let clusterProblem = "";
    try {
      cluster = await startCluster(size);
    } catch (err) {
      clusterProblem = (err as Error).message;
    }
    const onCluster = cluster ? await launch("gatehouse", { redisUrl: clusterUrl(cluster.ports) }) : undefined;
    console.log(heading(`6. Redis Cluster: GET /api/profile (session mode), one gatehouse process, ${describePlan(tp)}`));
    if (!cluster || !onCluster) {
      console.log(`skipped: a local ${size}-master cluster (redis-server) did not start: ${clusterProblem}`);
    } else {
      const clusterContenders = [
        onServer(gatehouse, "single", `on ${redis.description}`),
        onServer(onCluster, "cluster", `on a local ${size}-master Redis Cluster (ioredis Cluster)`),
      ];
      const clusterThroughput = await alternate(clusterContenders, tp);
      console.log(throughputTable(clusterContenders, clusterThroughput, tp.rounds));
      console.log(ratioLine("cluster / single", meanRps(clusterThroughput, "cluster") / meanRps(clusterThroughput, "single")));
      await onCluster.server.stop();
      await cluster.stop();
      cluster = undefined;
    }

    // (7) Two gatehouse processes on the same Redis, against one.
    const n = PLAN.instances;
    const perInstance = Math.floor(tp.connections / n);
    const group = [gatehouse];
    // The others serve the session signed in on the first: it lives in the shared Redis.
    for (let i = 1; i < n; i++) group.push(await launch("gatehouse", { auth: gatehouse.auth }));
    console.log(heading(`7. ${n} processes vs 1: GET /api/profile (session mode), same Redis, ${describePlan(tp, `${tp.connections} connections in all`)}`));
    const scaleContenders = [
      onServer(gatehouse, "one", `1 process, ${tp.connections} connections`),
      splitAcross(group, "split", `${n} processes, ${perInstance} connections each (combined)`),
    ];
    const scale = await alternate(scaleContenders, tp);
    console.log(throughputTable(scaleContenders, scale, tp.rounds));
    const parts = scale.get("split")!.map((m) => m.parts ?? [m]);
    console.log(`per process (mean req/s): ${group.map((_, i) => fmtInt(mean(parts.map((runs) => runs[i]?.perSecond ?? NaN)))).join(", ")}`);
    console.log(ratioLine(`${n} processes / 1`, meanRps(scale, "split") / meanRps(scale, "one"), { asFactor: true }));

    // (8) Redis memory per user, session and refresh family, and what it means for capacity.
    const mem = await measureMemory(redis.url, redis.prefix);
    console.log(heading(`8. Capacity: Redis memory per record (growth of used_memory over ${fmtInt(mem.n)} of each, created through the router)`));
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
    console.log(`protected requests per second per instance (this machine, section 1): ${fmtInt(meanRps(throughput, "gatehouse"))} session mode, ${fmtInt(meanRps(jwtThroughput, "gatehouse-jwt"))} JWT mode`);

    console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s`);
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
