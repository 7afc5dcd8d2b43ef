/**
 * The hash-bound limit, measured where the servers run: argon2id verifies per second at
 * Gatehouse's default parameters, `concurrency` at once, in a process of its own pinned to the
 * server core (bench/run.ts starts it). Prints one JSON line `{verifyMs, perSecond}`.
 *
 *   taskset -c 0 node bench/.build/hash-rate.js <concurrency> <seconds>
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { argon2id, hash, verify } from "argon2";

/** Gatehouse's default argon2id parameters (lib/options.ts); the `bare-login` server hashes with them too. */
export const ARGON2_DEFAULTS = { type: argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const PASSWORD = "correct horse battery staple";
const MAX_PER_WORKER = 2000;

async function main(): Promise<void> {
  const concurrency = Math.max(1, Number(process.argv[2] ?? 1));
  const seconds = Math.min(30, Math.max(1, Number(process.argv[3] ?? 3)));
  const digest = await hash(PASSWORD, ARGON2_DEFAULTS);
  await verify(digest, PASSWORD); // warm-up
  const single: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await verify(digest, PASSWORD);
    single.push(performance.now() - t0);
  }
  single.sort((a, b) => a - b);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < MAX_PER_WORKER && performance.now() < end; i++) {
        await verify(digest, PASSWORD);
        done++;
      }
    }),
  );
  const perSecond = done / ((performance.now() - t0) / 1000);
  process.stdout.write(`${JSON.stringify({ verifyMs: single[3], perSecond })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
