import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";

/** A free TCP port on loopback (the OS picks it; we release it for the child to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** The client options Gatehouse recommends: fail fast instead of queueing while Redis is away. */
export const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  connectTimeout: 1000,
  retryStrategy: () => 100,
};

/**
 * A redis-server this test process owns: started on a free loopback port, stopped at the end.
 * Only servers we own may be flushed, stopped or paused.
 */
export class OwnRedis {
  port = 0;
  private child: ChildProcess | undefined;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
      { stdio: "ignore" },
    );
    this.child = child;
    await waitForPing(this.port, 5000);
    return this;
  }

  /** Stops the server (connections are refused until `start()` again on the same port). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = undefined;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** Makes the server a black hole for `ms`: connections stay open, no command is answered. */
  async pause(ms: number): Promise<void> {
    const admin = new Redis(this.port, "127.0.0.1", { lazyConnect: true });
    await admin.connect();
    await admin.call("CLIENT", "PAUSE", String(ms), "ALL");
    admin.disconnect();
  }
}

async function waitForPing(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const probe = new Redis(port, "127.0.0.1", { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * The Redis the specs share: `REDIS_URL` when set (keys isolated by a random prefix and removed
 * at the end, never flushed), else a redis-server of our own.
 */
export interface TestRedis {
  url: string;
  /** A unique key prefix for one suite, so suites never see each other's keys. */
  prefix(): string;
  client(options?: RedisOptions): Redis;
  /** Removes every key under the prefixes handed out, closes the clients. */
  cleanup(): Promise<void>;
}

let shared: Promise<{ url: string; own: OwnRedis | undefined }> | undefined;

export async function testRedis(): Promise<TestRedis> {
  shared ??= (async () => {
    if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, own: undefined };
    const own = await new OwnRedis().start();
    process.once("exit", () => void own.stop());
    return { url: own.url, own };
  })();
  const { url } = await shared;
  const prefixes: string[] = [];
  const clients: Redis[] = [];
  return {
    url,
    prefix() {
      const p = `ghtest:${randomBytes(4).toString("hex")}:`;
      prefixes.push(p);
      return p;
    },
    client(options = {}) {
      const c = new Redis(url, { ...FAIL_FAST, enableOfflineQueue: true, ...options });
      c.on("error", () => {});
      clients.push(c);
      return c;
    },
    async cleanup() {
      const admin = new Redis(url);
      for (const p of prefixes) {
        let cursor = "0";
        do {
          const [next, keys] = await admin.scan(cursor, "MATCH", `${p}*`, "COUNT", 500);
          cursor = next;
          if (keys.length) await admin.del(...keys);
        } while (cursor !== "0");
      }
      admin.disconnect();
      for (const c of clients) c.disconnect();
    },
  };
}
