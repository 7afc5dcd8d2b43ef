/**
 * The Gatehouse example app: a page at / to click through every flow, the router at /auth, a
 * protected GET /api/profile.
 *
 *   npm run example            # on REDIS_URL (default redis://127.0.0.1:6379)
 *
 * Environment: PORT (3000), REDIS_URL, or REDIS_CLUSTER_NODES (host:port,host:port) for a Redis
 * Cluster, or REDIS_SENTINELS (host:port,...) with REDIS_SENTINEL_NAME for Sentinel, AUTH_SECRET (>= 32 bytes; a random one per start if
 * unset), APP_URL (http://localhost:PORT), AUTH_MODE (session | jwt), SMTP_URL (a nodemailer URL;
 * without it, emails are printed to the console and listed at /dev/outbox, by the library's
 * devMailer()), AUTH_RATE_LIMITS=off (no rate limits and no lockout: for load tests only),
 * DATABASE_URL (postgres://, mysql:// or sqlite:path: users in that database, see example/users.ts),
 * PREVENT_ENUMERATION=1 (registration answers the same for new and taken addresses),
 * AUTH_MFA_REQUIRED=on (every user must set up a second factor).
 *
 * With NODE_ENV=production: SMTP_URL is required (no console outbox, no links printed), and an
 * unreachable Redis at start is fatal unless ALLOW_MEMORY=1 (no silent fall-back to memory).
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import express, { type Response } from "express";
import { Cluster, Redis } from "ioredis";
import nodemailer from "nodemailer";
import { authRouter, devMailer, type AuthOptions } from "express-gatehouse";
import { sqlUsers } from "./users.js";

const port = Number(process.env.PORT ?? 3000);
const appUrl = (process.env.APP_URL ?? `http://localhost:${port}`).replace(/\/+$/, "");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const modeEnv = process.env.AUTH_MODE || "session";
if (modeEnv !== "session" && modeEnv !== "jwt") {
  console.error(`AUTH_MODE=${modeEnv} is not a mode: use AUTH_MODE=session (cookies + CSRF) or AUTH_MODE=jwt (bearer tokens).`);
  process.exit(1);
}
const mode: "session" | "jwt" = modeEnv;

const rateLimitsEnv = (process.env.AUTH_RATE_LIMITS ?? "").trim().toLowerCase();
const rateLimitsOff = ["off", "false", "0", "no"].includes(rateLimitsEnv);
if (rateLimitsEnv && !rateLimitsOff && rateLimitsEnv !== "on") {
  console.error(`AUTH_RATE_LIMITS=${process.env.AUTH_RATE_LIMITS} is not understood: use AUTH_RATE_LIMITS=off (load tests only) or leave it unset.`);
  process.exit(1);
}
if (rateLimitsOff) {
  console.warn("WARNING: AUTH_RATE_LIMITS=off: rate limits and account lockout are switched off. Use this for load tests only, never in production.");
}

let secret = process.env.AUTH_SECRET;
if (!secret) {
  secret = randomBytes(48).toString("base64");
  console.warn("AUTH_SECRET is not set: using a random secret, so sessions end when the server restarts.");
}

/** Connects to Redis, or resolves null when it is not reachable within 2 s. */
/** `host:port,host:port` → ioredis node list. */
function nodes(list: string): { host: string; port: number }[] {
  return list.split(",").map((hp) => {
    const [host, port] = hp.trim().split(":");
    return { host: host || "127.0.0.1", port: Number(port) };
  });
}

/**
 * The Redis client, by environment: REDIS_CLUSTER_NODES (a Redis Cluster), REDIS_SENTINELS with
 * REDIS_SENTINEL_NAME (a Sentinel-managed primary), else REDIS_URL. Options as the README
 * recommends: fail fast while Redis is away (503 at once) instead of queueing commands.
 */
function makeRedis(): { client: Redis | Cluster; where: string } {
  const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true } as const;
  if (process.env.REDIS_CLUSTER_NODES) {
    const startup = nodes(process.env.REDIS_CLUSTER_NODES);
    return { client: new Cluster(startup, { enableOfflineQueue: false, lazyConnect: true, redisOptions: failFast }), where: `the Redis Cluster at ${process.env.REDIS_CLUSTER_NODES}` };
  }
  if (process.env.REDIS_SENTINELS) {
    const name = process.env.REDIS_SENTINEL_NAME ?? "mymaster";
    const client = new Redis({
      ...failFast,
      sentinels: nodes(process.env.REDIS_SENTINELS),
      name,
      failoverDetector: true,
      // A demoted primary answers READONLY: reconnect (to the new primary) and retry.
      reconnectOnError: (err) => (/^(READONLY|NOREPLICAS)/.test(err.message) ? 2 : false),
    });
    return { client, where: `the Sentinel-managed primary "${name}" (sentinels ${process.env.REDIS_SENTINELS})` };
  }
  return { client: new Redis(redisUrl, failFast), where: `Redis at ${redisUrl}` };
}

/** Connects, or resolves null when Redis is not reachable within 2 s. */
async function connectRedis(): Promise<{ client: Redis | Cluster; where: string } | null> {
  const made = makeRedis();
  made.client.on("error", (err: Error) => console.error(`redis: ${err.message}`));
  try {
    await Promise.race([made.client.connect(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000))]);
    return made;
  } catch {
    made.client.disconnect();
    return null;
  }
}

const production = process.env.NODE_ENV === "production";
if (production && !process.env.SMTP_URL) {
  console.error("NODE_ENV=production needs SMTP_URL (a nodemailer URL such as smtps://user:pass@smtp.example.com): in production, emails are sent, never printed with their links.");
  process.exit(1);
}

const connected = await connectRedis();
const redis = connected?.client;
if (!connected) {
  if (production && process.env.ALLOW_MEMORY !== "1") {
    console.error(`Redis is not reachable (${makeRedisDescription()}). In production the example does not fall back to in-memory stores (every user and session would be lost at the next restart). Fix REDIS_URL, or set ALLOW_MEMORY=1 to run on memory anyway.`);
    process.exit(1);
  }
  console.warn(`Redis is not reachable (${makeRedisDescription()}): running on in-memory stores. Data is lost when the server stops.`);
}

function makeRedisDescription(): string {
  return process.env.REDIS_CLUSTER_NODES ?? process.env.REDIS_SENTINELS ?? redisUrl;
}

// Real mail through SMTP_URL; otherwise print emails and keep them for the /dev/outbox page.
const smtpUrl = process.env.SMTP_URL;
// The outbox is refused in production (it shows live links); there SMTP_URL is required (above).
const outbox = smtpUrl || production ? undefined : devMailer();
const mailer: AuthOptions["mailer"] = smtpUrl ? nodemailer.createTransport(smtpUrl) : outbox;
const showOutbox = outbox !== undefined;

const users = await sqlUsers();

const auth = authRouter({
  ...(redis ? { redis } : {}),
  storage: { ...(redis ? {} : { inMemory: true }), ...(users ? { users: users.store } : {}) },
  secret,
  appUrl,
  mode,
  mailer,
  mail: {
    appName: "Gatehouse example",
    links: {
      // Both pages are this app's index.html, which reads the token and posts it to the router.
      resetPassword: (t) => `${appUrl}/reset-password?token=${encodeURIComponent(t)}`,
      confirmEmailChange: (t) => `${appUrl}/confirm-email?token=${encodeURIComponent(t)}`,
    },
    // The verification link (GET /auth/verify-email) shows the router's confirmation page (a mail
    // scanner fetching it changes nothing); its button lands on / with ?status=verified|invalid.
    verifiedRedirect: "/",
  },
  // Two-step sign-in (TOTP) is open to every user; AUTH_MFA_REQUIRED=on makes it compulsory.
  mfa: { issuer: "Gatehouse example", required: process.env.AUTH_MFA_REQUIRED === "on" },
  preventEnumeration: ["1", "true", "on"].includes((process.env.PREVENT_ENUMERATION ?? "").toLowerCase()),
  ...(rateLimitsOff ? { rateLimits: false as const } : {}),
});

const publicDir = fileURLToPath(new URL("./public/", import.meta.url));

/** Headers for the page: no external resources, and no token-bearing URL in any Referer. */
function pageHeaders(res: Response): void {
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader(
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
}

const app = express();
// Say nothing about the stack to scanners.
app.disable("x-powered-by");
app.use("/auth", auth);
app.get("/api/profile", auth.requireUser, (req, res) => {
  res.json({ user: req.user });
});
// A sensitive route of the app: it needs a sign-in or POST /auth/reauth within 5 minutes.
app.get("/api/sensitive", auth.requireUser({ recentAuth: 300 }), (req, res) => {
  res.json({ user: req.user, secret: "only for recently authenticated users" });
});

// The emailed links for reset and email change open the same page, which shows the right form.
app.get(["/reset-password", "/confirm-email"], (_req, res) => {
  pageHeaders(res);
  res.setHeader("Cache-Control", "no-store");
  res.sendFile("index.html", { root: publicDir });
});
if (outbox) app.get("/dev/outbox", outbox.page());
// What the page needs to know before its first request: which transport to use (cookies + CSRF
// token, or bearer tokens) and whether to link the dev outbox.
app.get("/config.json", (_req, res) => {
  res.setHeader("Cache-Control", "no-store");
  res.json({ mode, outbox: showOutbox });
});
app.use(express.static(publicDir, { setHeaders: pageHeaders }));

function usage(): string {
  const base = appUrl;
  const head = `Gatehouse example (${connected ? connected.where : "in-memory stores"}${users ? `, ${users.where}` : ""}, ${mode} mode${rateLimitsOff ? ", RATE LIMITS OFF" : ""})

Open ${base}/ in a browser to register, sign in, verify your email, reset your password,
change password or email, and manage sessions.
${smtpUrl ? `Emails go out through SMTP_URL.` : `Emails are printed here${showOutbox ? ` and listed at ${base}/dev/outbox` : ""} (set SMTP_URL to send them).`}
`;
  const register = `  curl -i -X POST ${base}/auth/register -H 'Content-Type: application/json' \\
       -d '{"email":"ada@example.com","password":"correct horse battery staple"}'`;
  if (mode === "jwt") {
    return `${head}
Or try it with curl (keep the tokens from the login answer):

${register}
  curl -s -X POST ${base}/auth/login -H 'Content-Type: application/json' \\
       -d '{"email":"ada@example.com","password":"correct horse battery staple"}'
  # copy "access_token" and "refresh_token" from the answer:
  curl -i ${base}/api/profile -H "Authorization: Bearer <access_token>"
  curl -i -X POST ${base}/auth/refresh -H 'Content-Type: application/json' -d '{"refresh_token":"<refresh_token>"}'
  curl -i -X POST ${base}/auth/logout -H "Authorization: Bearer <new access_token>" \\
       -H 'Content-Type: application/json' -d '{"refresh_token":"<new refresh_token>"}'
  # or as an OAuth client would (RFC 6749 token endpoint, RFC 7009 revocation; forms):
  curl -s -X POST ${base}/auth/token -d username=ada@example.com -d 'password=correct horse battery staple'
  curl -s -X POST ${base}/auth/token -d grant_type=refresh_token -d refresh_token=<refresh_token>
  curl -i -X POST ${base}/auth/revoke -d token=<refresh_token>
`;
  }
  return `${head}
Or try it with curl (a cookie jar keeps the session):

${register}
  curl -i -c jar -X POST ${base}/auth/login -H 'Content-Type: application/json' \\
       -d '{"email":"ada@example.com","password":"correct horse battery staple"}'
  # copy "csrfToken" from the answer:
  curl -i -b jar ${base}/api/profile
  curl -i -b jar -c jar -X POST ${base}/auth/refresh -H "X-CSRF-Token: <csrfToken>"
  curl -i -b jar -X POST ${base}/auth/logout -H "X-CSRF-Token: <csrfToken from refresh>"
`;
}

app.listen(port, () => {
  console.log(`Gatehouse example listening on http://localhost:${port} (APP_URL ${appUrl})\n`);
  console.log(usage());
});
