/**
 * Users in SQL vs users in Redis: login throughput and the protected request, side by side.
 *
 *   npx tsx --conditions=development bench/sql-users.ts        # BENCH_SECONDS=5, BENCH_CONNECTIONS=10
 *
 * Standalone (not part of bench/run.ts): starts its own redis-server, makes a Postgres database
 * of its own on the test server (spec/helpers/sql.ts, GATEHOUSE_TEST_POSTGRES_URL) and drops it at
 * the end. Logins use the production argon2id parameters, so they measure what a deployment pays;
 * rate limits are off so the runs measure the stores, not the limiter.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import autocannon from "autocannon";
import { authRouter, type UserStore } from "express-gatehouse";
import { kyselyFromUrl } from "../lib/adapters/sql-database.js";
import { migrate } from "../lib/adapters/sql-migrations.js";
import { SqlUserStore } from "../lib/adapters/sql-user-store.js";
import { OwnRedis } from "../spec/helpers/redis.js";
import { createTestDatabase } from "../spec/helpers/sql.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PASSWORD = "correct horse battery staple";

interface Row {
  store: string;
  what: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

function cannon(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(options, (err, result) => (err ? reject(err) : resolve(result))));
}

async function run(url: string, options: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: string }) {
  const base = { url, connections, method: options.method ?? "GET", headers: options.headers, body: options.body };
  await cannon({ ...base, duration: 1 }); // warm-up: JIT, pools, connections
  const result = await cannon({ ...base, duration: seconds });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

async function measure(label: string, redis: Redis, prefix: string, userStore?: UserStore): Promise<Row[]> {
  const app = express();
  const auth = authRouter({
    redis,
    storage: { keyPrefix: prefix, ...(userStore ? { users: userStore } : {}) },
    secret: "bench-secret-that-is-long-enough-0123456789",
    appUrl: "http://localhost",
    rateLimits: false,
    logger: { warn: () => {}, error: (m: string, e?: unknown) => console.error(m, e) },
  });
  app.use("/auth", auth);
  app.get("/api/profile", auth.requireUser, (req, res) => res.json({ user: req.user }));
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const email = `bench-${Date.now()}@example.com`;
    const json = { "content-type": "application/json" };
    const reg = await fetch(`${base}/auth/register`, { method: "POST", headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
    if (reg.status !== 201) throw new Error(`register: ${reg.status}`);
    const rows: Row[] = [];
    rows.push({ store: label, what: "POST /auth/login", ...(await run(`${base}/auth/login`, { method: "POST", headers: json, body: JSON.stringify({ email, password: PASSWORD }) })) });
    // Signed in after the login run: its many sign-ins pass the per-user session cap (50), which
    // ends the oldest sessions.
    const login = await fetch(`${base}/auth/login`, { method: "POST", headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith("gh.sid="))?.split(";")[0];
    if (login.status !== 200 || !cookie) throw new Error(`login: ${login.status}`);
    rows.push({ store: label, what: "GET /api/profile (requireUser)", ...(await run(`${base}/api/profile`, { headers: { cookie } })) });
    return rows;
  } finally {
    server.close();
  }
}

const own = await new OwnRedis().start();
const redis = new Redis(own.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
await once(redis, "ready");
const database = await createTestDatabase("postgres");
if (!database) {
  console.error("No Postgres server at the test URL (see spec/helpers/sql.ts): nothing to compare.");
  process.exit(1);
}
const db = kyselyFromUrl(database.url);
try {
  await migrate(db);
  console.log(`users-store bench: ${connections} connections, ${seconds} s per run, argon2id m=19456 t=2 p=1, session mode\n`);
  const rows = [...(await measure("Redis", redis, "bench:r:")), ...(await measure("Postgres", redis, "bench:p:", new SqlUserStore(db)))];
  console.log("| users in | request | req/s | p50 ms | p99 ms | non-2xx |");
  console.log("|---|---|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.store} | ${r.what} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx} |`);
} finally {
  redis.disconnect();
  await db.destroy();
  await database.drop();
  await own.stop();
}
