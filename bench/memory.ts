/**
 * Section 8 of `npm run bench`: Redis memory per user, per session and per JWT refresh family,
 * measured as the growth of `used_memory` while N of each are created through the real router.
 */
import express from "express";
import { Redis } from "ioredis";
import request from "supertest";
import { authRouter } from "../lib/index.js";
import { Argon2Hasher } from "../lib/adapters/argon2-hasher.js";

export interface MemoryFigures {
  n: number;
  perUser: number;
  perSession: number;
  perFamily: number;
}

const SECRET = "bench-memory-secret-that-is-long-enough-01234";
const PASSWORD = "correct horse battery staple";

/** Creates `n` users, then signs each in once in session mode and once in JWT mode, measuring the growth of Redis memory. */
export async function measureMemory(url: string, prefix: string, n = 1000): Promise<MemoryFigures> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info("memory"))![1]);
  // Stored hashes have the length of real ones (argon2id PHC strings differ by a digit or two);
  // cheap parameters only so that N sign-ins take seconds, not minutes.
  const hasher = new Argon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const keyPrefix = `${prefix}mem:`;
  const quiet = { warn() {}, error() {} };
  const base = { redis, secret: SECRET, appUrl: "http://127.0.0.1", storage: { keyPrefix }, rateLimits: false as const, hashing: { hasher }, logger: quiet };
  const session = authRouter(base);
  const jwt = authRouter({ ...base, mode: "jwt" });
  const sessionApp = express().use("/auth", session);
  const jwtApp = express().use("/auth", jwt);
  try {
    const passwordHash = await hasher.hash(PASSWORD);
    const emails = Array.from({ length: n }, (_, i) => `memory-${i}@example.com`);

    let before = await used();
    for (const email of emails) await session.users.create({ email, name: "Ada Lovelace", passwordHash, emailVerified: true, createdAt: Date.now() });
    const perUser = ((await used()) - before) / n;

    const signIn = async (app: express.Express) => {
      const start = await used();
      for (let i = 0; i < n; i += 20) {
        await Promise.all(
          emails.slice(i, i + 20).map(async (email) => {
            const res = await request(app).post("/auth/login").set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) bench").send({ email, password: PASSWORD });
            if (res.status !== 200) throw new Error(`memory bench: login answered ${res.status}`);
          }),
        );
      }
      return ((await used()) - start) / n;
    };
    const perSession = await signIn(sessionApp);
    before = await used();
    const perFamily = await signIn(jwtApp);
    return { n, perUser, perSession, perFamily: perFamily || ((await used()) - before) / n };
  } finally {
    redis.disconnect();
  }
}
