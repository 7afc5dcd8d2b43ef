import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./redis.js";

/** One example-app process of ours, on a free loopback port. */
export interface Instance {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the example app (`example/server.ts`) as a separate process with the given environment,
 * and waits until it answers. Several of them on one Redis are what a deployment behind a load
 * balancer looks like; start several at once on ports from one `freePorts(n)` call, so they differ.
 */
export async function startInstance(env: Record<string, string>, port?: number): Promise<Instance> {
  port ??= await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "example/server.ts"], {
    env: { ...process.env, NODE_ENV: "development", PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 2000).unref();
    });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the example app exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/auth/me`)).status === 401) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the example app did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A small HTTP client for the instances: JSON in and out, one cookie jar, an optional bearer token. */
export class Browser {
  cookie = "";
  csrf = "";
  access = "";
  refresh = "";

  async call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.cookie) headers.Cookie = this.cookie;
    if (this.csrf && method !== "GET") headers["X-CSRF-Token"] = this.csrf;
    if (this.access) headers.Authorization = `Bearer ${this.access}`;
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual" });
    const set = res.headers.getSetCookie?.() ?? [];
    for (const c of set) if (/^(__Host-)?gh\.sid=/.test(c)) this.cookie = c.split(";")[0]!;
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (res.status === 200 && typeof parsed.csrfToken === "string") this.csrf = parsed.csrfToken;
    if (res.status === 200 && typeof parsed.access_token === "string") this.access = parsed.access_token;
    if (res.status === 200 && typeof parsed.refresh_token === "string") this.refresh = parsed.refresh_token;
    return { status: res.status, body: parsed };
  }
}
