/**
 * Register with `preventEnumeration`: how long the answer takes for a new and for a taken
 * address, with the real argon2id parameters (m=19456 KiB, t=2, p=1) on Redis. The samples
 * interleave (new, taken, taken, new, ...) so that drift on a shared machine hits both alike.
 *
 *   npx tsx --conditions=development bench/register-timing.ts [samples=50]
 */
import { performance } from "node:perf_hooks";
import express from "express";
import request from "supertest";
import { Redis } from "ioredis";
import { authRouter } from "../lib/index.js";
import { benchRedis } from "./redis.js";

const samples = Number(process.argv[2] ?? 50);
const where = await benchRedis();
const redis = new Redis(where.url, { enableOfflineQueue: true });
const app = express();
const auth = authRouter({
  redis,
  secret: "bench-secret-that-is-long-enough-0123456789",
  appUrl: "http://bench.test",
  storage: { keyPrefix: where.prefix },
  preventEnumeration: true,
  // The timing of one request is what is measured, not the registration limit.
  rateLimits: { registerIp: { points: 1_000_000 } },
  logger: { warn: () => {}, error: console.error },
});
app.use("/auth", auth);

const password = "a long and uncommon pass phrase";
const taken = "taken@bench.test";
const post = (email: string) => request(app).post("/auth/register").send({ email, password });
if ((await post(taken)).status !== 202) throw new Error("setup failed");
for (let i = 0; i < 5; i++) {
  await post(`warm-${i}@bench.test`);
  await post(taken);
}

const times = { fresh: [] as number[], taken: [] as number[] };
for (let i = 0; i < samples; i++) {
  // Alternate which goes first, so neither always follows the other.
  for (const kind of i % 2 === 0 ? (["fresh", "taken"] as const) : (["taken", "fresh"] as const)) {
    const started = performance.now();
    const res = await post(kind === "fresh" ? `new-${i}@bench.test` : taken);
    times[kind].push(performance.now() - started);
    if (res.status !== 202 || res.text !== "") throw new Error(`unexpected answer ${res.status}`);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (x: number) => x.toFixed(1);
console.log(`register with preventEnumeration, ${samples} samples each (${where.description}):`);
console.log(`  new address:   median ${fmt(median(times.fresh))} ms (min ${fmt(Math.min(...times.fresh))}, max ${fmt(Math.max(...times.fresh))})`);
console.log(`  taken address: median ${fmt(median(times.taken))} ms (min ${fmt(Math.min(...times.taken))}, max ${fmt(Math.max(...times.taken))})`);
console.log(`  difference of the medians: ${fmt(median(times.taken) - median(times.fresh))} ms`);
// Let the work after the last answers finish before Redis goes away.
await new Promise((resolve) => setTimeout(resolve, 500));
redis.disconnect();
await where.cleanup();
process.exit(0);
