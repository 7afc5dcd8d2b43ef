import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePorts } from "./redis.js";

/** A Redis Cluster this test process owns: its masters' loopback ports, and how to stop it. */
export interface LocalCluster {
  ports: number[];
  stop(): Promise<void>;
}

/** A throwaway cluster of `size` masters (no replicas) on loopback, owned by the calling spec. */
export async function startCluster(size: number): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-cluster-"));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const admins: Redis[] = [];
  const stop = async () => {
    for (const admin of admins) admin.disconnect();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    ports.push(...(await freePorts(size)));
    for (const port of ports) {
      const child = spawn(
        "redis-server",
        [
          "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
          "--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout", "2000", "--dir", dir,
        ],
        { stdio: "ignore" },
      );
      child.on("error", () => {});
      children.push(child);
    }
    for (const port of ports) {
      const admin = new Redis(port, "127.0.0.1", { retryStrategy: (n) => (n > 50 ? null : 100), maxRetriesPerRequest: null });
      admin.on("error", () => {});
      admins.push(admin);
      await admin.ping();
    }
    const per = Math.ceil(16384 / size);
    for (const [i, admin] of admins.entries()) {
      await admin.call("CLUSTER", "ADDSLOTSRANGE", String(i * per), String(Math.min(16383, (i + 1) * per - 1)));
      await admin.call("CLUSTER", "SET-CONFIG-EPOCH", String(i + 1));
    }
    for (const port of ports.slice(1)) await admins[0]!.call("CLUSTER", "MEET", "127.0.0.1", String(port));
    const deadline = Date.now() + 15_000;
    for (const admin of admins) {
      while (!String(await admin.call("CLUSTER", "INFO")).includes("cluster_state:ok")) {
        if (Date.now() > deadline) throw new Error("the cluster did not come up");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { ports, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
