import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { freePort, waitForPing } from "../spec/helpers/redis.js";
import { hasTaskset, LOAD_CORE, pinned } from "./load.js";

/** The Redis one bench run uses, and the key prefix all of its servers write under. */
export interface BenchRedis {
  url: string;
  prefix: string;
  /** "own redis-server on :port, pinned to core 1" or "REDIS_URL". */
  description: string;
  /** Stops our own server, or removes this run's keys from `REDIS_URL` (never a flush). */
  cleanup(): Promise<void>;
}

/** At most this many SCAN pages when removing keys (a bound, not an expected count). */
const MAX_SCAN_PAGES = 100_000;

/**
 * `REDIS_URL` when set (keys under a random prefix, removed at the end), else a redis-server of
 * our own on loopback, pinned to the load generator's core so that it never takes time from
 * the server under test (which has a core of its own).
 */
export async function benchRedis(): Promise<BenchRedis> {
  const prefix = `ghbench:${randomBytes(4).toString("hex")}:`;
  const shared = process.env.REDIS_URL;
  if (shared) {
    return { url: shared, prefix, description: "REDIS_URL (keys under a random prefix)", cleanup: () => deleteByPrefix(shared, prefix) };
  }
  const port = await freePort();
  const [cmd, args] = pinned(LOAD_CORE, "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"]);
  const child = spawn(cmd, args, { stdio: "ignore" });
  await waitForPing(port, 5000);
  const where = hasTaskset() ? `, pinned to core ${LOAD_CORE}` : "";
  return { url: `redis://127.0.0.1:${port}`, prefix, description: `own redis-server on :${port}${where}`, cleanup: () => kill(child) };
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once("exit", () => done());
    child.kill("SIGKILL");
  });
}


async function deleteByPrefix(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    for (let page = 0; page < MAX_SCAN_PAGES; page++) {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (keys.length) await admin.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
  } finally {
    admin.disconnect();
  }
}
