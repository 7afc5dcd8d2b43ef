/**
 * `npm run bench`: Gatehouse against a bare express-session + connect-redis stack and a bare
 * Express route, measured side by side in one run against the same Redis. See bench/README.md.
 */
import { availableParallelism, cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { argon2id, hash, verify } from "argon2";
import { mean, measure, median, type Measurement } from "./measure.js";
import { benchRedis } from "./redis.js";
import { fmtInt, fmtMs, heading, ratioLine, table } from "./report.js";
import { PASSWORD, SERVER_KINDS, startServer, type RunningServer, type ServerKindName, type SignedIn } from "./server.js";

/** The whole run is stopped past this (the budget is 3 minutes; a normal run takes about 1.5). */
const BUDGET_MS = 170_000;

/** Durations in seconds, and concurrencies. */
export const PLAN = {
  throughput: { connections: 10, durationS: 5, warmupS: 1, rounds: 2 },
  login: { connections: 8, durationS: 6, warmupS: 1 },
  latency: { connections: 1, burstConnections: 16, durationS: 4, warmupS: 1 },
  verifySamples: 15,
};

/** Gatehouse's default argon2id parameters (lib/options.ts). */
export const ARGON2_DEFAULTS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** The targets of bench/README.md. */
export const TARGETS = { vsSession: 1, vsHashBound: 0.85, burstLatency: 2 };

/** A running server and the headers that sign its requests in. */
export interface Target {
  kind: ServerKindName;
  server: RunningServer;
  auth: SignedIn;
}

const errorsOf = (m: Measurement) => `${m.non2xx}/${m.errors}`;

/** (1) `GET /api/profile` on each target, alternately: round 1 in order, round 2 reversed. */
export async function protectedThroughput(targets: Target[], plan = PLAN.throughput): Promise<Map<ServerKindName, Measurement[]>> {
  const results = new Map<ServerKindName, Measurement[]>(targets.map((t) => [t.kind, []]));
  for (let round = 0; round < plan.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const m = await measure(t.kind, `${t.server.url}/api/profile`, { ...plan, headers: t.auth.headers });
      results.get(t.kind)!.push(m);
    }
  }
  return results;
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

async function main(): Promise<void> {
  const started = Date.now();
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

  try {
    const cores = availableParallelism();
    console.log(`gatehouse bench: node ${process.version}, ${cores} cores (${cpus()[0]?.model.trim() ?? "?"}), ${redis.description}`);
    console.log("Servers run in their own processes on 127.0.0.1; load comes from autocannon in this process.");
    console.log(`Load average at start: ${loadavg()[0]!.toFixed(2)} (anything else running on these ${cores} cores skews the figures).`);

    const kinds = Object.keys(SERVER_KINDS) as ServerKindName[];
    const targets: Target[] = [];
    for (const kind of kinds) {
      const server = await startServer(kind, { redisUrl: redis.url, prefix: redis.prefix });
      servers.push(server);
      const auth = await SERVER_KINDS[kind].signIn(server.url);
      const probe = await fetch(`${server.url}/api/profile`, { headers: auth.headers, signal: AbortSignal.timeout(10_000) });
      if (probe.status !== 200) throw new Error(`${kind}: GET /api/profile answered ${probe.status} after sign-in`);
      targets.push({ kind, server, auth });
    }
    const gatehouse = targets.find((t) => t.kind === "gatehouse")!;

    // (1) Protected request throughput.
    const tp = PLAN.throughput;
    console.log(heading(`1. Protected request: GET /api/profile, ${tp.connections} connections, ${tp.durationS} s per run (+${tp.warmupS} s warm-up), ${tp.rounds} alternating rounds`));
    const throughput = await protectedThroughput(targets);
    const meanRps = (kind: ServerKindName) => mean(throughput.get(kind)!.map((m) => m.perSecond));
    console.log(
      table(
        ["server", ...Array.from({ length: tp.rounds }, (_, i) => `round ${i + 1} req/s`), "mean req/s", "p50 ms", "p99 ms", "non-2xx/err"],
        targets.map(({ kind }) => {
          const runs = throughput.get(kind)!;
          return [
            `${kind}: ${SERVER_KINDS[kind].label}`,
            ...runs.map((m) => fmtInt(m.perSecond)),
            fmtInt(meanRps(kind)),
            fmtMs(mean(runs.map((m) => m.latency.p50))),
            fmtMs(mean(runs.map((m) => m.latency.p99))),
            runs.map(errorsOf).join(" "),
          ];
        }),
      ),
    );
    console.log(ratioLine("gatehouse / bare-session", meanRps("gatehouse") / meanRps("bare-session"), { min: TARGETS.vsSession }));
    console.log(ratioLine("gatehouse / bare        ", meanRps("gatehouse") / meanRps("bare")));

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
    console.log(heading(`3. Latency: GET /api/profile at ${lt.connections} connection, ${lt.durationS} s idle, then ${lt.durationS} s during a login burst (${lt.burstConnections} connections)`));
    await sleep(500); // let the login run drain
    const profileUrl = `${gatehouse.server.url}/api/profile`;
    const idle = await measure("idle", profileUrl, { connections: lt.connections, durationS: lt.durationS, warmupS: lt.warmupS, headers: gatehouse.auth.headers });
    const [busy, burst] = await Promise.all([
      measure("during burst", profileUrl, { connections: lt.connections, durationS: lt.durationS, warmupS: 0, headers: gatehouse.auth.headers }),
      measure("burst", login.url, { ...login, connections: lt.burstConnections, durationS: lt.durationS, warmupS: 0 }),
    ]);
    console.log(
      table(
        ["GET /api/profile", "p50 ms", "p99 ms", "mean ms", "req/s", "non-2xx/err"],
        [idle, busy].map((m) => [m.kind, fmtMs(m.latency.p50), fmtMs(m.latency.p99), fmtMs(m.latency.mean), fmtInt(m.perSecond), errorsOf(m)]),
      ),
    );
    console.log(`login burst meanwhile: ${burst.perSecond.toFixed(1)} logins/s, p50 ${fmtMs(burst.latency.p50)} ms, non-2xx/err ${errorsOf(burst)}`);
    console.log(ratioLine("p50 during burst / idle", busy.latency.p50 / idle.latency.p50, { max: TARGETS.burstLatency, asFactor: true }));
    console.log(ratioLine("p99 during burst / idle", busy.latency.p99 / idle.latency.p99, { asFactor: true }));

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
