import type { Express } from "express";
import { express } from "./express.js";
import request from "supertest";
import type { Redis } from "ioredis";
import { authRouter, type AuthRouter } from "../../lib/index.js";
import type { AuthOptions } from "../../lib/options.js";
import { RedisUserStore } from "../../lib/adapters/redis-user-store.js";
import type { UserStore } from "../../lib/ports/user-store.js";
import { Clock, CountingHasher, PASSWORD } from "./core.js";
import { testRedis, type TestRedis } from "./redis.js";
import { sqlTestUserStore } from "./sql-users.js";

export { Clock, CountingHasher, fastHasher, PASSWORD } from "./core.js";

export const SECRET = "test-secret-that-is-long-enough-0123456789";
export const APP_URL = "http://app.test";
export const ORIGIN = "http://app.test";

export interface TestApp {
  app: Express;
  auth: AuthRouter;
  redis: Redis;
  prefix: string;
  clock: Clock;
  hasher: CountingHasher;
  /** The user store under the router, written to directly to act as an app that changes users around the library. */
  store: UserStore;
}

let sharedRedis: TestRedis | undefined;
export async function sharedTestRedis(): Promise<TestRedis> {
  sharedRedis ??= await testRedis();
  return sharedRedis;
}

/**
 * A fresh app per case: the router at /auth, GET/POST /api/profile behind requireUser, on its
 * own key prefix of the shared test Redis.
 */
export async function makeApp(overrides: Partial<AuthOptions> = {}, setup?: (app: Express) => void): Promise<TestApp> {
  const tr = await sharedTestRedis();
  const redis = overrides.redis ? (overrides.redis as Redis) : tr.client();
  const prefix = tr.prefix();
  const clock = new Clock();
  const hasher = new CountingHasher();
  const app = express();
  setup?.(app);
  // GATEHOUSE_TEST_USERS=postgres (or mysql, sqlite): users in SQL, everything else in Redis.
  // Apps on one key prefix share their users (a deploy, a second instance), so do their tables.
  const users = overrides.storage?.users ?? (await sqlTestUserStore(overrides.storage?.keyPrefix ?? prefix));
  const auth = authRouter({
    redis,
    secret: SECRET,
    appUrl: APP_URL,
    now: clock.now,
    hashing: { hasher },
    logger: { warn: () => {}, error: () => {} },
    ...overrides,
    storage: { keyPrefix: prefix, ...(users ? { users } : {}), ...overrides.storage },
  });
  app.use("/auth", auth);
  app.get("/api/profile", auth.requireUser, (req, res) => res.json({ user: req.user }));
  app.post("/api/profile", auth.requireUser, (req, res) => res.json({ ok: true, user: req.user }));
  app.get("/api/recent", auth.requireUser({ recentAuth: 300 }), (req, res) => res.json({ user: req.user }));
  app.get("/api/maybe", auth.optionalUser, (req, res) => res.json({ user: req.user ?? null }));
  const store = users ?? new RedisUserStore(redis, { keyPrefix: overrides.storage?.keyPrefix ?? prefix });
  return { app, auth, redis, prefix, clock, hasher, store };
}

/** Registers a user through the API and returns its email. */
export async function register(app: Express, email = `u${Math.random().toString(36).slice(2)}@example.com`, password = PASSWORD) {
  const res = await request(app).post("/auth/register").send({ email, password });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, password, user: res.body.user };
}

/** Signs in with a cookie-keeping agent; returns the agent and its CSRF token. */
export async function login(app: Express, email: string, password = PASSWORD) {
  const agent = request.agent(app);
  const res = await agent.post("/auth/login").send({ email, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { agent, csrfToken: res.body.csrfToken as string, res };
}

/** The session id a `gh.sid` cookie value (`name=s%3A<id>.<signature>`) carries. */
export function sessionIdOf(cookie: string): string {
  const signed = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1)).slice(2);
  return signed.slice(0, signed.lastIndexOf("."));
}

/** The Redis key of a signed-in session (`<prefix>{u:<userId>}:sess:<rand>`, its id being `<userId>.<rand>`). */
export function sessionKeyOf(prefix: string, cookie: string): string {
  const id = sessionIdOf(cookie);
  const dot = id.lastIndexOf(".");
  return `${prefix}{u:${id.slice(0, dot)}}:sess:${id.slice(dot + 1)}`;
}

/** The session cookie ("name=value") set by a response, if any. */
export function sessionCookie(res: { headers: Record<string, unknown> }, name = "gh.sid"): string | undefined {
  const raw = res.headers["set-cookie"];
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === "string" ? [raw] : [];
  const hit = list.find((c) => c.startsWith(`${name}=`));
  return hit?.split(";")[0];
}
