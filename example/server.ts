/**
 * The Gatehouse example app: the router at /auth, a protected GET /api/profile.
 *
 *   npm run example            # on REDIS_URL (default redis://127.0.0.1:6379)
 *
 * Environment: PORT (3000), REDIS_URL, AUTH_SECRET (>= 32 bytes; a random one per start if
 * unset), APP_URL (http://localhost:PORT), AUTH_MODE (session).
 */
import { randomBytes } from "node:crypto";
import express from "express";
import { Redis } from "ioredis";
import { authRouter } from "gatehouse";

const port = Number(process.env.PORT ?? 3000);
const appUrl = process.env.APP_URL ?? `http://localhost:${port}`;
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const mode = process.env.AUTH_MODE ?? "session";
if (mode !== "session") {
  console.error(`AUTH_MODE=${mode} is not available yet; use AUTH_MODE=session.`);
  process.exit(1);
}

let secret = process.env.AUTH_SECRET;
if (!secret) {
  secret = randomBytes(48).toString("base64");
  console.warn("AUTH_SECRET is not set: using a random secret, so sessions end when the server restarts.");
}

/** Connects to Redis, or resolves null when it is not reachable within 2 s. */
async function connectRedis(url: string): Promise<Redis | null> {
  // Fail fast while Redis is away (503 at once) instead of queueing commands for seconds.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true });
  redis.on("error", (err: Error) => console.error(`redis: ${err.message}`));
  try {
    await Promise.race([redis.connect(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000))]);
    return redis;
  } catch {
    redis.disconnect();
    return null;
  }
}

const redis = await connectRedis(redisUrl);
if (!redis) {
  console.warn(`Redis is not reachable at ${redisUrl}: running on in-memory stores. Data is lost when the server stops.`);
}

const auth = authRouter(redis ? { redis, secret, appUrl } : { inMemory: true, secret, appUrl });

const app = express();
app.use("/auth", auth);
app.get("/api/profile", auth.requireUser, (req, res) => {
  res.json({ user: req.user });
});
app.get("/", (_req, res) => {
  res.type("text/plain").send(usage());
});

function usage(): string {
  const base = `http://localhost:${port}`;
  return `Gatehouse example (${redis ? `Redis at ${redisUrl}` : "in-memory stores"}, ${mode} mode)

Try it with curl (a cookie jar keeps the session):

  curl -i -X POST ${base}/auth/register -H 'Content-Type: application/json' \\
       -d '{"email":"ada@example.com","password":"correct horse battery staple"}'
  curl -i -c jar -X POST ${base}/auth/login -H 'Content-Type: application/json' \\
       -d '{"email":"ada@example.com","password":"correct horse battery staple"}'
  # copy "csrfToken" from the answer:
  curl -i -b jar ${base}/api/profile
  curl -i -b jar -c jar -X POST ${base}/auth/refresh -H "X-CSRF-Token: <csrfToken>"
  curl -i -b jar -X POST ${base}/auth/logout -H "X-CSRF-Token: <csrfToken from refresh>"
`;
}

app.listen(port, () => {
  console.log(`Gatehouse example listening on ${base()}\n`);
  console.log(usage());
});

function base(): string {
  return `http://localhost:${port}`;
}
