/**
 * Login throughput with a second factor on (two steps: POST /login, then POST /mfa/verify with a
 * TOTP code) against one-step logins and the hash-bound limit, in one run on one Redis.
 *
 *   npx tsx bench/mfa-login.ts            # own redis-server; or REDIS_URL=redis://... (random prefix)
 *   MFA_BENCH_USERS=200 MFA_BENCH_SECONDS=8 MFA_BENCH_CONNECTIONS=8 npx tsx bench/mfa-login.ts
 *
 * The app runs in this process (Express on a loopback port) with Gatehouse's real argon2id
 * defaults and `rateLimits: false`; the load is N concurrent fetch loops. A TOTP code works once
 * per user and time step, so the users sign in round-robin and the app's injected clock moves 30 s
 * each time every user has had a turn (codes come from otplib at that clock).
 */
import { availableParallelism } from "node:os";
import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { argon2id, hash, verify } from "argon2";
import { generateSync } from "otplib";
import { authRouter } from "../lib/index.js";
import { benchRedis } from "./redis.js";

const USERS = Number(process.env.MFA_BENCH_USERS ?? 120);
const SECONDS = Number(process.env.MFA_BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.MFA_BENCH_CONNECTIONS ?? 8);
const PASSWORD = "correct horse battery staple";
const SECRET = "bench-secret-that-is-long-enough-0123456789";
const PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

let clock = Date.now();
const code = (secret: string) => generateSync({ secret, epoch: Math.floor(clock / 1000) });

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

async function verifyMs(): Promise<number> {
  const digest = await hash(PASSWORD, { type: argon2id, ...PARAMS });
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    await verify(digest, PASSWORD);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[7]!;
}

/** N loops for `seconds`, each running `one()` over and over; completed sign-ins per second. */
async function load(seconds: number, one: () => Promise<boolean>): Promise<{ perSecond: number; failed: number; p50: number }> {
  const until = performance.now() + seconds * 1000;
  let ok = 0;
  let failed = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        if (await one()) {
          ok++;
          latencies.push(performance.now() - t0);
        } else failed++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { perSecond: ok / ((performance.now() - started) / 1000), failed, p50: latencies[Math.floor(latencies.length / 2)] ?? 0 };
}

async function main(): Promise<void> {
  const r = await benchRedis();
  const redis = new Redis(r.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise((resolve) => redis.once("ready", resolve));
  const app = express();
  const auth = authRouter({ redis, secret: SECRET, appUrl: "http://127.0.0.1", mode: "jwt", now: () => clock, rateLimits: false, storage: { keyPrefix: r.prefix }, logger: { warn: () => {}, error: console.error } });
  app.use("/auth", auth);
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    process.stdout.write(`setting up ${USERS} users with TOTP and ${USERS} without (argon2id m=19456 t=2 p=1)...\n`);
    const withMfa: { email: string; secret: string }[] = [];
    const plain: string[] = [];
    const setupBatch = async (i: number) => {
      const email = `mfa${i}@bench.example`;
      await post(base, "/auth/register", { email, password: PASSWORD });
      const login = await post(base, "/auth/login", { email, password: PASSWORD });
      const bearer = { authorization: `Bearer ${login.body.access_token as string}` };
      const setup = await post(base, "/auth/mfa/totp/setup", {}, bearer);
      const secret = setup.body.secret as string;
      const enable = await post(base, "/auth/mfa/totp/enable", { code: code(secret) }, bearer);
      if (enable.status !== 200) throw new Error(`enable failed: ${JSON.stringify(enable.body)}`);
      withMfa.push({ email, secret });
      const other = `plain${i}@bench.example`;
      await post(base, "/auth/register", { email: other, password: PASSWORD });
      plain.push(other);
    };
    for (let i = 0; i < USERS; i += 4) await Promise.all([0, 1, 2, 3].filter((d) => i + d < USERS).map((d) => setupBatch(i + d)));
    clock += 30_000;

    const ms = await verifyMs();
    const cores = availableParallelism();
    const limit = (cores * 1000) / ms;

    let p = 0;
    const oneStep = await load(SECONDS, async () => (await post(base, "/auth/login", { email: plain[p++ % plain.length], password: PASSWORD })).status === 200);

    let next = 0;
    const twoStep = await load(SECONDS, async () => {
      const u = withMfa[next++ % withMfa.length]!;
      // Every user had a turn: the next time step, so each code is fresh (replay is refused).
      if (next % withMfa.length === 0) clock += 30_000;
      const first = await post(base, "/auth/login", { email: u.email, password: PASSWORD });
      if (first.status !== 200 || first.body.mfaRequired !== true) return false;
      const second = await post(base, "/auth/mfa/verify", { mfaToken: first.body.mfaToken, code: code(u.secret) });
      return second.status === 200 && typeof second.body.access_token === "string";
    });

    const rows: [string, string][] = [
      [`argon2id verify (median of 15, sequential)`, `${ms.toFixed(1)} ms`],
      [`hash-bound limit = ${cores} cores / verify time`, `${limit.toFixed(1)} logins/s`],
      [`one-step logins (POST /login), ${CONNECTIONS} at once, ${SECONDS} s`, `${oneStep.perSecond.toFixed(1)} /s (p50 ${oneStep.p50.toFixed(0)} ms, failed ${oneStep.failed}) = ${((oneStep.perSecond / limit) * 100).toFixed(0)} % of the limit`],
      [`two-step logins (POST /login + POST /mfa/verify), ${CONNECTIONS} at once, ${SECONDS} s`, `${twoStep.perSecond.toFixed(1)} /s (p50 ${twoStep.p50.toFixed(0)} ms, failed ${twoStep.failed}) = ${((twoStep.perSecond / limit) * 100).toFixed(0)} % of the limit`],
      [`two-step / one-step`, `${((twoStep.perSecond / oneStep.perSecond) * 100).toFixed(0)} %`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  } finally {
    server.close();
    redis.disconnect();
    await r.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
