import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePorts } from "./redis.js";

/** A primary, a replica and a sentinel on loopback, owned by the calling spec. */
export interface LocalSentinel {
  name: string;
  sentinelPort: number;
  primaryPort: number;
  replicaPort: number;
  /** The port of the current primary, as the sentinel tells it. */
  currentPrimary(): Promise<number>;
  /** `SENTINEL FAILOVER`: the replica becomes the primary. */
  failover(): Promise<void>;
  /** Waits until both servers have every write of the primary (WAIT on the primary). */
  replicated(): Promise<void>;
  /** Waits until the current primary has its replica attached again (after a failover, the old primary is converted). */
  healthy(): Promise<void>;
  stop(): Promise<void>;
}

async function ping(port: number, ms = 10_000): Promise<Redis> {
  const admin = new Redis(port, "127.0.0.1", { retryStrategy: () => 100, maxRetriesPerRequest: null });
  admin.on("error", () => {});
  await Promise.race([admin.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no redis on ${port}`)), ms))]);
  return admin;
}

export async function startSentinel(name = "gatehouse"): Promise<LocalSentinel> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-sentinel-"));
  const children: ChildProcess[] = [];
  const admins: Redis[] = [];
  const run = (args: string[]) => {
    const child = spawn("redis-server", args, { stdio: "ignore" });
    child.on("error", () => {});
    children.push(child);
  };
  const stop = async () => {
    for (const a of admins) a.disconnect();
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGKILL");
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [primaryPort, replicaPort, sentinelPort] = (await freePorts(3)) as [number, number, number];
    const common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
    run(["--port", String(primaryPort), ...common]);
    run(["--port", String(replicaPort), ...common, "--replicaof", "127.0.0.1", String(primaryPort)]);
    const primary = await ping(primaryPort);
    const replica = await ping(replicaPort);
    admins.push(primary, replica);
    const deadline = Date.now() + 10_000;
    while (!String(await replica.info("replication")).includes("master_link_status:up")) {
      if (Date.now() > deadline) throw new Error("the replica did not sync");
      await new Promise((r) => setTimeout(r, 50));
    }
    const conf = join(dir, "sentinel.conf");
    await writeFile(
      conf,
      [
        `port ${sentinelPort}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        "",
      ].join("\n"),
    );
    run([conf, "--sentinel"]);
    const sentinel = await ping(sentinelPort);
    admins.push(sentinel);
    // Wait until the sentinel has found the replica (it cannot fail over before).
    while (((await sentinel.call("SENTINEL", "REPLICAS", name)) as unknown[]).length === 0) {
      if (Date.now() > deadline + 10_000) throw new Error("the sentinel did not see the replica");
      await new Promise((r) => setTimeout(r, 100));
    }
    const currentPrimary = async () => Number(((await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as string[])[1]);
    return {
      name,
      sentinelPort,
      primaryPort,
      replicaPort,
      currentPrimary,
      async failover() {
        await sentinel.call("SENTINEL", "FAILOVER", name);
      },
      async replicated() {
        const port = await currentPrimary();
        const admin = port === primaryPort ? primary : replica;
        const acked = Number(await admin.call("WAIT", "1", "5000"));
        if (acked < 1) throw new Error("the replica did not acknowledge the writes");
      },
      async healthy() {
        const until = Date.now() + 60_000;
        for (;;) {
          const port = await currentPrimary();
          const [p, r] = port === primaryPort ? [primary, replica] : [replica, primary];
          const pInfo = String(await p.info("replication"));
          const rInfo = String(await r.info("replication"));
          if (pInfo.includes("role:master") && pInfo.includes("connected_slaves:1") && rInfo.includes("role:slave") && rInfo.includes("master_link_status:up")) return;
          if (Date.now() > until) throw new Error("the sentinel setup did not settle");
          await new Promise((res) => setTimeout(res, 200));
        }
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
