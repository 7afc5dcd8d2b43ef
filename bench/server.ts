/**
 * The servers the benchmarks compare, one per child process so the load generator never shares
 * their event loop. They run from built JavaScript (`npm run build` for dist/, then
 * `tsc -p bench` for bench/.build/; Gatehouse is imported as the package, i.e. dist/), each
 * pinned to {@link SERVER_CORE}:
 *
 *   taskset -c 0 node bench/.build/server.js <kind> <port|0> <redisUrl> <keyPrefix>
 *
 * prints one line `{"ready":true,"port":N}` once it listens on 127.0.0.1, and exits on SIGTERM
 * or when its stdin closes (the parent died). A new kind is one entry in SERVER_KINDS.
 * `redisUrl` is a `redis://` URL, or `redis-cluster://host:port,host:port,...` for an ioredis
 * `Cluster` (see {@link clusterUrl}).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createServer, type Server } from "node:http";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { RedisStore } from "connect-redis";
import express, { type Express } from "express";
import session from "express-session";
import { Cluster, Redis } from "ioredis";
import { SignJWT, jwtVerify, type JWTHeaderParameters } from "jose";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import * as argon2 from "argon2";
import { authRouter } from "express-gatehouse";
import { ARGON2_DEFAULTS } from "./hash-rate.js";
import { pinned, SERVER_CORE } from "./load.js";

export const SECRET = "bench-secret-that-is-long-enough-0123456789";
export const PASSWORD = "correct horse battery staple";

/** What a server builds its app from (in the child). `prefix` is this run's; each kind adds its own part. */
export interface ServerContext {
  redis: Redis | Cluster;
  prefix: string;
}

/** How a client authenticates against a running server. */
export interface SignedIn {
  /** Headers that make `GET /api/profile` answer 200 (a session cookie, or `authorization: Bearer <jwt>`). */
  headers: Record<string, string>;
  /** The account behind them, for login benchmarks. */
  credentials?: { email: string; password: string };
}

export interface ServerKind {
  /** One line for reports. */
  label: string;
  /** Builds the app in the child process; it serves `GET /api/profile`. */
  app(ctx: ServerContext): Express | Promise<Express>;
  /** Signs in against a running server (in the parent). */
  signIn(baseUrl: string): Promise<SignedIn>;
}

/** The user the baseline servers answer with: the same fields as Gatehouse's public user. */
const USER = {
  id: "u_bench",
  email: "bench@example.com",
  name: null,
  emailVerified: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
};

const FETCH_TIMEOUT_MS = 10_000;

async function post(url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: "manual",
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
}

/** `name=value` of the cookie a response sets, or an error that says what came back. */
function cookieFrom(res: Response, name: string): string {
  const hit = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!hit) throw new Error(`no ${name} cookie in the answer (status ${res.status})`);
  return hit.split(";")[0]!;
}

async function expectStatus(res: Response, status: number, what: string): Promise<void> {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${await res.text()}`);
}

/** Registers an account on a Gatehouse server (`POST /auth/register`). */
export async function gatehouseRegister(baseUrl: string, email: string, password = PASSWORD, ip = benchIp(0)): Promise<void> {
  // Each from its own client address (the servers trust X-Forwarded-For from loopback): the
  // default registerIp limit is 10 per address and hour.
  await expectStatus(await post(`${baseUrl}/auth/register`, { email, password }, { "x-forwarded-for": ip }), 201, "POST /auth/register");
}

/** The client address of the i-th bench account (10.7.0.0/16, one per account). */
export function benchIp(i: number): string {
  return `10.7.${(i >> 8) & 255}.${i & 255}`;
}

/** Signs in on a Gatehouse server (`POST /auth/login`) and returns the session cookie. */
export async function gatehouseLogin(baseUrl: string, email: string, password = PASSWORD, cookieName = "gh.sid"): Promise<string> {
  const res = await post(`${baseUrl}/auth/login`, { email, password });
  await expectStatus(res, 200, "POST /auth/login");
  return cookieFrom(res, cookieName);
}

/** Signs in on a Gatehouse server in JWT mode (`POST /auth/login`) and returns the access token. */
export async function gatehouseAccessToken(baseUrl: string, email: string, password = PASSWORD): Promise<string> {
  const res = await post(`${baseUrl}/auth/login`, { email, password });
  await expectStatus(res, 200, "POST /auth/login");
  const token = ((await res.json()) as { access_token?: unknown }).access_token;
  if (typeof token !== "string") throw new Error("POST /auth/login: no access_token in the answer");
  return token;
}

/** `appUrl` of every Gatehouse server here; JWT `iss` and `aud` default to its origin. */
const APP_URL = "http://127.0.0.1";

/**
 * The JWT settings Gatehouse uses in jwt mode with `secret: SECRET` and the defaults (lib/options.ts):
 * an HS256 key derived from the secret, its kid, issuer and audience = the origin of `appUrl`,
 * `typ: at+jwt`, 900 s lifetime. The bare JWT server signs and verifies with exactly these.
 */
const JWT = (() => {
  const key = createHmac("sha256", SECRET).update("gatehouse/jwt/hs256").digest();
  const kid = `hs-${createHmac("sha256", key).update("kid").digest("base64url").slice(0, 10)}`;
  const origin = new URL(APP_URL).origin;
  return { key: new Uint8Array(key), kid, issuer: origin, audience: origin, typ: "at+jwt", ttl: 900 };
})();

/** The bearer token of an `Authorization` header, as Gatehouse parses it. */
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

export const SERVER_KINDS = {
  gatehouse: {
    label: "gatehouse (authRouter + requireUser)",
    app({ redis, prefix }) {
      const app = express();
      // The default rate limits and lockout stay on. The login benches spread their load over
      // many accounts, each from its own address in X-Forwarded-For, which Express takes as the
      // client address from a loopback proxy: no limit trips (see bench/README.md).
      app.set("trust proxy", "loopback");
      const auth = authRouter({ redis, secret: SECRET, appUrl: APP_URL, storage: { keyPrefix: `${prefix}gh:` } });
      app.use("/auth", auth);
      app.get("/api/profile", auth.requireUser, (req, res) => res.json({ user: req.user }));
      return app;
    },
    async signIn(baseUrl) {
      const email = `bench-${randomBytes(4).toString("hex")}@example.com`;
      await gatehouseRegister(baseUrl, email);
      const cookie = await gatehouseLogin(baseUrl, email);
      return { headers: { cookie }, credentials: { email, password: PASSWORD } };
    },
  },
  "bare-session": {
    label: "express-session + connect-redis",
    app({ redis, prefix }) {
      const users = new Map([[USER.id, USER]]);
      const app = express();
      app.use(session({ store: new RedisStore({ client: redis, prefix: `${prefix}sess:` }), secret: SECRET, resave: false, saveUninitialized: false }));
      app.post("/login", (req, res) => {
        (req.session as typeof req.session & { userId?: string }).userId = USER.id;
        res.json({ user: USER });
      });
      app.get("/api/profile", (req, res) => {
        const id = (req.session as typeof req.session & { userId?: string }).userId;
        const user = id === undefined ? undefined : users.get(id);
        if (!user) return void res.status(401).json({ error: "unauthenticated" });
        res.json({ user });
      });
      return app;
    },
    async signIn(baseUrl) {
      const res = await post(`${baseUrl}/login`);
      await expectStatus(res, 200, "POST /login");
      return { headers: { cookie: cookieFrom(res, "connect.sid") } };
    },
  },
  "gatehouse-jwt": {
    label: 'gatehouse, mode "jwt" (Bearer access token)',
    app({ redis, prefix }) {
      const app = express();
      app.set("trust proxy", "loopback");
      const auth = authRouter({ redis, secret: SECRET, appUrl: APP_URL, mode: "jwt", storage: { keyPrefix: `${prefix}ghjwt:` } });
      app.use("/auth", auth);
      app.get("/api/profile", auth.requireUser, (req, res) => res.json({ user: req.user }));
      return app;
    },
    async signIn(baseUrl) {
      const email = `bench-${randomBytes(4).toString("hex")}@example.com`;
      await gatehouseRegister(baseUrl, email);
      const token = await gatehouseAccessToken(baseUrl, email);
      return { headers: { authorization: `Bearer ${token}` }, credentials: { email, password: PASSWORD } };
    },
  },
  "bare-jwt": {
    label: "express + jose jwtVerify (no Redis)",
    app() {
      const users = new Map([[USER.id, USER]]);
      const keyFor = (header: JWTHeaderParameters) => {
        if (header.kid !== JWT.kid) throw new Error("unknown kid");
        return JWT.key;
      };
      const app = express();
      // The same token Gatehouse issues: same key, kid, typ and claims.
      app.post("/login", async (_req, res) => {
        const iat = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ sid: randomBytes(16).toString("base64url") })
          .setProtectedHeader({ alg: "HS256", kid: JWT.kid, typ: JWT.typ })
          .setSubject(USER.id)
          .setJti(randomBytes(16).toString("base64url"))
          .setIssuedAt(iat)
          .setExpirationTime(iat + JWT.ttl)
          .setIssuer(JWT.issuer)
          .setAudience(JWT.audience)
          .sign(JWT.key);
        res.json({ user: USER, access_token: token, token_type: "bearer", expires_in: JWT.ttl });
      });
      // The same checks as Gatehouse's verification, then a user from memory: no revocation.
      app.get("/api/profile", async (req, res) => {
        const m = BEARER.exec(req.headers.authorization ?? "");
        let user: typeof USER | undefined;
        if (m) {
          try {
            const { payload } = await jwtVerify(m[1]!, keyFor, {
              algorithms: ["HS256"],
              issuer: JWT.issuer,
              audience: JWT.audience,
              typ: JWT.typ,
              requiredClaims: ["exp", "iat", "sub", "jti", "sid"],
            });
            user = typeof payload.sub === "string" ? users.get(payload.sub) : undefined;
          } catch {
            user = undefined;
          }
        }
        if (!user) return void res.status(401).json({ error: "unauthenticated" });
        res.json({ user });
      });
      return app;
    },
    async signIn(baseUrl) {
      const res = await post(`${baseUrl}/login`);
      await expectStatus(res, 200, "POST /login");
      const token = ((await res.json()) as { access_token?: unknown }).access_token;
      if (typeof token !== "string") throw new Error("POST /login: no access_token in the answer");
      return { headers: { authorization: `Bearer ${token}` } };
    },
  },
  "redis-get": {
    label: "express + one ioredis GET per request (the one-round-trip ceiling)",
    async app({ redis, prefix }) {
      const key = `${prefix}ceiling:user`;
      await redis.set(key, JSON.stringify(USER));
      const app = express();
      app.get("/api/profile", (_req, res, next) => {
        redis.get(key).then((raw) => {
          if (raw === null) return void res.status(401).json({ error: "unauthenticated" });
          res.json({ user: JSON.parse(raw) as typeof USER });
        }, next);
      });
      return app;
    },
    async signIn() {
      return { headers: {} };
    },
  },
  passport: {
    label: "passport + passport-local + express-session + connect-redis",
    app({ redis, prefix }) {
      const users = new Map([[USER.id, USER]]);
      passport.use(
        new LocalStrategy({ usernameField: "email" }, (email, password, done) => {
          done(null, email === USER.email && password === PASSWORD ? USER : false);
        }),
      );
      passport.serializeUser((user, done) => done(null, (user as typeof USER).id));
      passport.deserializeUser((id: string, done) => done(null, users.get(id) ?? false));
      const app = express();
      app.use(express.json());
      app.use(session({ store: new RedisStore({ client: redis, prefix: `${prefix}pp:` }), secret: SECRET, resave: false, saveUninitialized: false }));
      app.use(passport.session());
      app.post("/login", passport.authenticate("local"), (req, res) => res.json({ user: req.user }));
      app.get("/api/profile", (req, res) => {
        if (!req.user) return void res.status(401).json({ error: "unauthenticated" });
        res.json({ user: req.user });
      });
      return app;
    },
    async signIn(baseUrl) {
      const res = await post(`${baseUrl}/login`, { email: USER.email, password: PASSWORD });
      await expectStatus(res, 200, "POST /login");
      return { headers: { cookie: cookieFrom(res, "connect.sid") } };
    },
  },
  "bare-login": {
    label: "express.json + one argon2id verify, no Redis (the least a login endpoint does)",
    async app() {
      const digest = await argon2.hash(PASSWORD, ARGON2_DEFAULTS);
      // One hash per core at a time, the rest waiting in line: Gatehouse's hashing defaults.
      let free = availableParallelism();
      const waiting: (() => void)[] = [];
      const verifyInTurn = async (password: string): Promise<boolean> => {
        if (free > 0) free--;
        else await new Promise<void>((turn) => waiting.push(turn));
        try {
          return await argon2.verify(digest, password);
        } finally {
          const next = waiting.shift();
          if (next) next();
          else free++;
        }
      };
      const app = express();
      app.post("/auth/login", express.json(), (req, res, next) => {
        const { email, password } = req.body as { email?: unknown; password?: unknown };
        if (typeof email !== "string" || typeof password !== "string") return void res.status(400).json({ error: "validation_failed" });
        verifyInTurn(password).then((ok) => {
          if (!ok) return void res.status(401).json({ error: "invalid_credentials" });
          res.cookie("sid", randomBytes(32).toString("base64url"), { httpOnly: true, sameSite: "lax" }).json({ user: { ...USER, email } });
        }, next);
      });
      app.get("/api/profile", (_req, res) => res.json({ user: USER }));
      return app;
    },
    async signIn() {
      return { headers: {} };
    },
  },
  bare: {
    label: "bare express (no auth, the ceiling)",
    app() {
      const app = express();
      app.get("/api/profile", (_req, res) => res.json({ user: USER }));
      return app;
    },
    async signIn() {
      return { headers: {} };
    },
  },
} satisfies Record<string, ServerKind>;

export type ServerKindName = keyof typeof SERVER_KINDS;

export function isServerKind(name: string): name is ServerKindName {
  return Object.hasOwn(SERVER_KINDS, name);
}

/** A server child process, as the parent sees it. */
export interface RunningServer {
  kind: ServerKindName;
  url: string;
  pid: number;
  /** The most resident memory the process has had (VmHWM), in MB; NaN where /proc is missing. */
  peakRssMB(): number;
  /** CPU seconds used so far ({@link cpuSeconds}). */
  cpuSeconds(): number;
  /** CPU seconds the main thread (the event loop) used so far; the rest of {@link cpuSeconds} is other threads (libuv's pool, where hashes run, and V8's). */
  loopCpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * CPU seconds (user + system) a process, or one `thread` of it, has used so far, from
 * /proc/<pid>/stat or /proc/<pid>/task/<thread>/stat (Linux), NaN
 * elsewhere. Unlike req/s it counts only the time the process really ran, so it holds still
 * when neighbours take the core away.
 */
export function cpuSeconds(pid: number, thread?: number): number {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11], fields[12]: utime, stime (clock ticks; 100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** VmHWM of a process in MB (Linux), NaN elsewhere. */
export function peakRssMB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository: bench/ when run from source, bench/.build/ when built. */
const ROOT = resolve(HERE, HERE.endsWith(".build") ? "../.." : "..");

/** Spawns the built `bench/.build/server.js <kind>`, pinned to the server core, and resolves once it listens. */
export async function startServer(
  kind: ServerKindName,
  options: { redisUrl: string; prefix: string; port?: number; readyTimeoutMs?: number; nodeArgs?: string[] },
): Promise<RunningServer> {
  const { redisUrl, prefix, port = 0, readyTimeoutMs = 30_000 } = options;
  const [cmd, args] = pinned(SERVER_CORE, process.execPath, [...(options.nodeArgs ?? []), resolve(ROOT, "bench/.build/server.js"), kind, String(port), redisUrl, prefix]);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const stop = () => stopChild(child);
  try {
    const ready = await waitForReady(child, readyTimeoutMs);
    const pid = child.pid!;
    return { kind, url: `http://127.0.0.1:${ready}`, pid, peakRssMB: () => peakRssMB(pid), cpuSeconds: () => cpuSeconds(pid), loopCpuSeconds: () => cpuSeconds(pid, pid), stop };
  } catch (err) {
    await stop();
    throw new Error(`server ${kind}: ${(err as Error).message}`, { cause: err });
  }
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with code ${code} before it was ready`));
    });
    lines.on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; port?: number };
        if (msg.ready && typeof msg.port === "number") {
          clearTimeout(timer);
          resolvePort(msg.port);
          return;
        }
      } catch {
        // Not our message: pass the child's output through.
      }
      console.log(`[server] ${line}`);
    });
  });
}

/** SIGTERM, then SIGKILL after 3 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(kill);
      done();
    });
    child.kill("SIGTERM");
  });
}

const CLUSTER_SCHEME = "redis-cluster:";

/** The `redisUrl` argument of a server child for a Redis Cluster: its seed nodes on loopback. */
export function clusterUrl(ports: readonly number[]): string {
  return `${CLUSTER_SCHEME}//${ports.map((port) => `127.0.0.1:${port}`).join(",")}`;
}

/**
 * A client for `url` with the option the README recommends, `enableOfflineQueue: false`. For a
 * Cluster it is a top-level `ClusterOptions` field: ioredis 6 types `redisOptions` without it and
 * its connection pool forces `enableOfflineQueue: true` on every node connection regardless, so
 * it is the Cluster's own queue (commands sent before the slots are known) that the flag turns off.
 * `ready` waits for `CLUSTER INFO` to report `cluster_state:ok` (`enableReadyCheck`, the default).
 */
function connectRedis(url: string): Redis | Cluster {
  if (!url.startsWith(CLUSTER_SCHEME)) return new Redis(url, { enableOfflineQueue: false });
  const nodes = url
    .slice(CLUSTER_SCHEME.length + 2)
    .split(",")
    .map((hostPort) => {
      const at = hostPort.lastIndexOf(":");
      return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
    });
  return new Cluster(nodes, { enableOfflineQueue: false });
}

/** The child process: build the app of `kind`, listen, say so, exit when told. */
async function main(argv: string[]): Promise<void> {
  const [kind, portArg, redisUrl, prefix] = argv;
  if (kind === undefined || !isServerKind(kind) || !redisUrl || prefix === undefined) {
    throw new Error(`usage: server.ts <${Object.keys(SERVER_KINDS).join("|")}> <port> <redisUrl> <prefix>`);
  }
  const redis = connectRedis(redisUrl);
  redis.on("error", (err: Error) => console.error(`[${kind}] redis: ${err.message}`));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`${redis instanceof Cluster ? "redis cluster" : "redis"} not ready after 10 s`)), 10_000);
    redis.once("ready", () => {
      clearTimeout(timer);
      ready();
    });
  });
  const app = await SERVER_KINDS[kind].app({ redis, prefix });
  const server: Server = createServer(app);
  await new Promise<void>((listening, fail) => {
    server.once("error", fail);
    server.listen(Number(portArg ?? 0), "127.0.0.1", () => listening());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);

  // Exit at once: requests still queued (logins waiting for a hash) would only log Redis
  // errors once the connection closes under them.
  const shutdown = () => {
    server.closeAllConnections();
    process.exit(0);
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  // The parent holds our stdin: when it goes away, so do we.
  process.stdin.on("end", shutdown).on("close", shutdown).resume();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
