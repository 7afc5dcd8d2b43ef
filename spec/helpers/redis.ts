import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo, type Server } from "node:net";
import { randomBytes } from "node:crypto";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { expect } from "chai";
import { isAuthError } from "../../lib/errors.js";

/**
 * `n` distinct free TCP ports on loopback: all are held open at once before any is released, so
 * the OS cannot hand out the same port twice (one-at-a-time lookups often did).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const srv = createServer();
          srv.unref();
          srv.on("error", reject);
          srv.listen(0, "127.0.0.1", () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as AddressInfo).port);
  await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
  return ports;
}

/** A free TCP port on loopback (the OS picks it; we release it for the child to take). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
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

/** Resolves once a redis-server on `port` answers PING; rejects after `ms`. */
export async function waitForPing(port: number, ms: number): Promise<void> {
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
 * at the end, never flushed), else a redis-server of our own. With `GATEHOUSE_TEST_REDIS=cluster`
 * (`npm run test:cluster`), a local 3-master Redis Cluster of our own, and `client()` hands out
 * ioredis `Cluster` clients (typed as `Redis`: the specs use only commands both have).
 */
export interface TestRedis {
  url: string;
  /** True when the clients are Cluster clients. */
  cluster: boolean;
  /** A unique key prefix for one suite, so suites never see each other's keys. */
  prefix(): string;
  client(options?: RedisOptions): Redis;
  /** Removes every key under the prefixes handed out, closes the clients. */
  cleanup(): Promise<void>;
}

interface Shared {
  url: string;
  clusterPorts: number[] | undefined;
}

let shared: Promise<Shared> | undefined;

async function start(): Promise<Shared> {
  if (process.env.GATEHOUSE_TEST_REDIS === "cluster") {
    const { startCluster } = await import("./cluster.js");
    const cluster = await startCluster(3);
    process.once("exit", () => void cluster.stop());
    return { url: `redis://127.0.0.1:${cluster.ports[0]}`, clusterPorts: cluster.ports };
  }
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, clusterPorts: undefined };
  const own = await new OwnRedis().start();
  process.once("exit", () => void own.stop());
  return { url: own.url, clusterPorts: undefined };
}

/** Every key matching `pattern`, on every master of a Cluster (KEYS on a Cluster client asks one node). */
export async function allKeys(redis: Redis | Cluster, pattern: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes("master") : [redis];
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== "0");
  }
  return found;
}

export async function testRedis(): Promise<TestRedis> {
  shared ??= start();
  const { url, clusterPorts } = await shared;
  const prefixes: string[] = [];
  const clients: (Redis | Cluster)[] = [];
  const make = (options: RedisOptions = {}): Redis | Cluster => {
    const redisOptions = { ...FAIL_FAST, enableOfflineQueue: true, ...options };
    const c = clusterPorts
      ? new Cluster(
          clusterPorts.map((port) => ({ host: "127.0.0.1", port })),
          { redisOptions, enableOfflineQueue: redisOptions.enableOfflineQueue, clusterRetryStrategy: () => 100 },
        )
      : new Redis(url, redisOptions);
    c.on("error", () => {});
    clients.push(c);
    return c;
  };
  return {
    url,
    cluster: clusterPorts !== undefined,
    prefix() {
      const p = `ghtest:${randomBytes(4).toString("hex")}:`;
      prefixes.push(p);
      return p;
    },
    client(options = {}) {
      return make(options) as Redis;
    },
    async cleanup() {
      const admin = make();
      for (const p of prefixes) {
        const keys = await allKeys(admin, `${p}*`);
        // One key per DEL: on a Cluster the keys live in many slots.
        for (const k of keys) await admin.del(k);
      }
      for (const c of clients) c.disconnect();
    },
  };
}

/** Asserts that `call` rejects with `AuthError("SERVICE_UNAVAILABLE")` within 2 s (an outage answered fast). */
export async function expectUnavailable(name: string, call: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  let error: unknown;
  try {
    await call();
  } catch (err) {
    error = err;
  }
  const elapsed = Date.now() - started;
  expect(isAuthError(error, "SERVICE_UNAVAILABLE"), `${name} rejected with ${String(error)}`).to.equal(true);
  expect(elapsed, `${name} took ${elapsed} ms`).to.be.below(2000);
}

/** Counts every command the client sends: the store round trips of the app that owns it. */
export function countCommands(redis: Redis): { count: () => number; commands: string[] } {
  const commands: string[] = [];
  const original = redis.sendCommand.bind(redis);
  // Every argument passes through: a Cluster client's sendCommand takes the target node as well.
  (redis as unknown as { sendCommand: typeof redis.sendCommand }).sendCommand = ((...args: Parameters<typeof original>) => {
    commands.push((args[0] as { name: string }).name);
    return original(...args);
  }) as typeof redis.sendCommand;
  return { count: () => commands.length, commands };
}
