import { expect } from "chai";
import { createHmac, randomBytes } from "node:crypto";
import type { Server } from "node:http";
import request, { type Test } from "supertest";
import { Cluster, Redis } from "ioredis";
import { startCluster, type LocalCluster } from "../helpers/cluster.js";
import { FAIL_FAST, OwnRedis } from "../helpers/redis.js";
import { makeApp, register, sessionCookie, PASSWORD, SECRET, type TestApp } from "../helpers/app.js";
import type { AuthOptions } from "../../lib/options.js";

// API.md, "Anonymous requests store nothing": GET /csrf and refused (429) requests leave no key
// in Redis, and GET /csrf with Redis down is a 503, never a 200. Each case counts the keys of a
// Redis of its own (DBSIZE of the whole server), so nothing another spec does can hide a key.

const CONCURRENCY = 50;
const CSRF_COOKIE = "gh.sid.csrf";

/** Sends `n` requests, `CONCURRENCY` at a time; the count of each status, and how long it took. */
async function flood(n: number, send: (i: number) => Test): Promise<{ statuses: Record<number, number>; ms: number }> {
  const started = Date.now();
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const res = await send(i);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return { statuses, ms: Date.now() - started };
}

/** The app on a listening server, so thousands of requests do not each start one. */
async function listening(t: TestApp): Promise<Server> {
  return new Promise((resolve) => {
    const server = t.app.listen(0, "127.0.0.1", () => resolve(server));
  });
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const fresh = (tag: string) => `${tag}${randomBytes(6).toString("hex")}@example.com`;

/** A Redis of the test's own: one server, or a 3-master Cluster (whose bucket keys sit in different slots). */
interface OwnStore {
  client: Redis;
  keys(): Promise<number>;
  stop(): Promise<void>;
}

async function ownServer(): Promise<OwnStore & { server: OwnRedis }> {
  const server = await new OwnRedis().start();
  const client = new Redis(server.url, FAIL_FAST);
  client.on("error", () => {});
  await until(async () => (await client.ping()) === "PONG", 10000);
  return {
    server,
    client,
    keys: () => client.dbsize(),
    async stop() {
      client.disconnect();
      await server.stop();
    },
  };
}

async function ownCluster(): Promise<OwnStore | undefined> {
  const cluster: LocalCluster | undefined = await startCluster(3).catch(() => undefined);
  if (!cluster) return undefined;
  const client = new Cluster(
    cluster.ports.map((port) => ({ host: "127.0.0.1", port })),
    { redisOptions: FAIL_FAST, clusterRetryStrategy: () => 100 },
  );
  client.on("error", () => {});
  await until(async () => (await client.ping()) === "PONG", 10000);
  return {
    client: client as unknown as Redis,
    async keys() {
      const sizes = await Promise.all(client.nodes("master").map((node) => node.dbsize()));
      return sizes.reduce((a, b) => a + b, 0);
    },
    async stop() {
      client.disconnect();
      await cluster.stop();
    },
  };
}

describe("Anonymous requests store nothing (session mode, the test's own redis-server)", function () {
  this.timeout(120_000);
  let own: Awaited<ReturnType<typeof ownServer>>;

  before(async () => {
    own = await ownServer();
  });
  after(() => own.stop());

  const app = (overrides: Partial<AuthOptions> = {}) => makeApp({ mode: "session", redis: own.client, ...overrides });

  it("5,000 anonymous GET /csrf leave the key count unchanged (a stateless token, no session)", async () => {
    const t = await app();
    const server = await listening(t);
    try {
      const first = await request(server).get("/auth/csrf");
      expect(first.status).to.equal(200);
      expect(sessionCookie(first), "no session cookie").to.equal(undefined);
      const before = await own.keys();
      const { statuses, ms } = await flood(5000, () => request(server).get("/auth/csrf"));
      console.log(`      5,000 GET /csrf in ${ms} ms`);
      expect(statuses).to.deep.equal({ 200: 5000 });
      expect(await own.keys(), "keys added").to.equal(before);
    } finally {
      server.close();
    }
  });

  describe("the pre-sign-in token", () => {
    it("is a signed cookie (HttpOnly, Path=/, SameSite from the session, no Max-Age) that login needs back in X-CSRF-Token", async () => {
      const t = await app();
      const { email } = await register(t.app);
      const agent = request.agent(t.app);
      const res = await agent.get("/auth/csrf");
      expect(res.status).to.equal(200);
      const raw = ([] as string[]).concat(res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith(`${CSRF_COOKIE}=`));
      expect(raw, "the CSRF cookie").to.be.a("string");
      expect(raw).to.match(/; Path=\//).and.match(/; HttpOnly/).and.match(/; SameSite=Lax/);
      expect(raw).to.not.match(/Max-Age|Expires|Secure/);
      expect(sessionCookie(res, CSRF_COOKIE)).to.equal(`${CSRF_COOKIE}=${res.body.csrfToken}`);

      for (const header of [undefined, "", "wrong", `${res.body.csrfToken}x`, (await request(t.app).get("/auth/csrf")).body.csrfToken]) {
        const attempt = agent.post("/auth/login");
        const refused = await (header === undefined ? attempt : attempt.set("X-CSRF-Token", header)).send({ email, password: PASSWORD });
        expect(refused.status, String(header)).to.equal(403);
        expect(refused.body.code).to.equal("CSRF_INVALID");
      }
      const ok = await agent.post("/auth/login").set("X-CSRF-Token", res.body.csrfToken).send({ email, password: PASSWORD });
      expect(ok.status).to.equal(200);
    });

    it("takes the session cookie's name, Secure and SameSite: __Host-gh.sid.csrf on https, SameSite=Strict when asked", async () => {
      const t = await makeApp({ mode: "session", redis: own.client, appUrl: "https://app.test", session: { sameSite: "strict" } }, (a) => a.set("trust proxy", "loopback"));
      const res = await request(t.app).get("/auth/csrf").set("X-Forwarded-Proto", "https");
      const raw = ([] as string[]).concat(res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("__Host-gh.sid.csrf="));
      expect(raw, "the CSRF cookie").to.be.a("string");
      expect(raw).to.match(/; Secure/).and.match(/; SameSite=Strict/).and.match(/; Path=\//);
      expect(raw).to.not.match(/Domain=|Max-Age|Expires/);
    });

    it("is refused when forged (a cookie and header the server did not sign)", async () => {
      const t = await app();
      const { email } = await register(t.app);
      const nonce = randomBytes(32).toString("base64url");
      const forgeries = [
        "anything",
        `${nonce}.${randomBytes(32).toString("base64url")}`,
        `${nonce}.${createHmac("sha256", "another-secret-that-is-long-enough-0123").update(`gatehouse/csrf/pre-sign-in:${nonce}`).digest("base64url")}`,
      ];
      for (const forged of forgeries) {
        const res = await request(t.app).post("/auth/login").set("Cookie", `${CSRF_COOKIE}=${forged}`).set("X-CSRF-Token", forged).send({ email, password: PASSWORD });
        expect(res.status, forged).to.equal(403);
        expect(res.body.code).to.equal("CSRF_INVALID");
      }
    });

    it("verifies with every secret (rotation): valid while its secret is listed, refused once it is removed", async () => {
      const NEW = "a-brand-new-secret-that-is-long-enough-01";
      const before = await app({ secret: SECRET });
      const { email } = await register(before.app);
      const res = await request(before.app).get("/auth/csrf");
      const token = res.body.csrfToken as string;
      expect(sessionCookie(res, CSRF_COOKIE)).to.equal(`${CSRF_COOKIE}=${token}`);
      const send = (t: TestApp) => request(t.app).post("/auth/login").set("Cookie", `${CSRF_COOKIE}=${token}`).set("X-CSRF-Token", token).send({ email, password: PASSWORD });
      expect((await send(await app({ secret: [NEW, SECRET], storage: { keyPrefix: before.prefix } }))).status, "old secret still listed").to.equal(200);
      const removed = await send(await app({ secret: NEW, storage: { keyPrefix: before.prefix } }));
      expect(removed.status, "old secret removed").to.equal(403);
      expect(removed.body.code).to.equal("CSRF_INVALID");
    });

    it("is useless after sign-in: the session's new token is needed", async () => {
      const t = await app();
      const { email } = await register(t.app);
      const agent = request.agent(t.app);
      const preRes = await agent.get("/auth/csrf");
      const pre = preRes.body.csrfToken as string;
      expect(sessionCookie(preRes, CSRF_COOKIE), "the pre-sign-in cookie").to.equal(`${CSRF_COOKIE}=${pre}`);
      const login = await agent.post("/auth/login").set("X-CSRF-Token", pre).send({ email, password: PASSWORD });
      expect(login.status).to.equal(200);
      expect(login.body.csrfToken).to.not.equal(pre);
      // The agent still sends the pre-sign-in cookie: header and cookie match, and still refused.
      const refused = await agent.post("/auth/logout").set("X-CSRF-Token", pre);
      expect(refused.status).to.equal(403);
      expect(refused.body.code).to.equal("CSRF_INVALID");
      expect((await agent.get("/auth/csrf")).body.csrfToken, "GET /csrf signed in: the session's token").to.equal(login.body.csrfToken);
      expect((await agent.post("/auth/logout").set("X-CSRF-Token", login.body.csrfToken)).status).to.equal(204);
    });
  });

  it("GET /csrf with Redis stopped answers 503 within 2 s, never a token", async () => {
    const t = await app();
    expect((await request(t.app).get("/auth/csrf")).status, "up").to.equal(200);
    await own.server.stop();
    try {
      const started = Date.now();
      const res = await request(t.app).get("/auth/csrf");
      const took = Date.now() - started;
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal("SERVICE_UNAVAILABLE");
      expect(res.headers["retry-after"]).to.equal("1");
      expect(res.headers["set-cookie"], "no cookie").to.equal(undefined);
      expect(took, `took ${took} ms`).to.be.below(2000);
    } finally {
      await own.server.start();
      await until(async () => (await own.client.ping()) === "PONG", 10000);
    }
    expect((await request(t.app).get("/auth/csrf")).status, "back").to.equal(200);
  });
});

// On one server every attempt is one script over all its buckets; on a Cluster the buckets sit
// in different slots and are checked, then hit, one key at a time.
for (const [label, open] of [
  ["the test's own redis-server", ownServer],
  ["the test's own 3-master Cluster", ownCluster],
] as const) {
  describe(`Refused requests store nothing (${label})`, function () {
    this.timeout(120_000);
    let own: OwnStore | undefined;

    before(async function () {
      own = await open();
      if (!own) this.skip();
    });
    after(() => own?.stop());

    it("3,000 logins refused by the per-IP limit, each with a fresh email, add no key", async () => {
      const t = await makeApp({ mode: "session", redis: own!.client, rateLimits: { loginIp: { points: 3 } } });
      const server = await listening(t);
      try {
        const login = (email: string) => request(server).post("/auth/login").send({ email, password: PASSWORD });
        for (let i = 0; i < 3; i++) expect((await login(fresh("warm"))).status).to.equal(401);
        // The per-IP counter exists now (it is the one that counts refusals): from here on, nothing new.
        expect((await login(fresh("warm"))).status).to.equal(429);
        const before = await own!.keys();
        const { statuses, ms } = await flood(3000, (i) => login(fresh(`f${i}-`)));
        console.log(`      3,000 refused logins in ${ms} ms`);
        expect(statuses).to.deep.equal({ 429: 3000 });
        expect(await own!.keys(), "keys added").to.equal(before);
      } finally {
        server.close();
      }
    });

    it("3,000 forgot-password requests refused by the per-IP limit, each with a fresh email, add no key", async () => {
      const t = await makeApp({ mode: "session", redis: own!.client, rateLimits: { forgotPasswordIp: { points: 2 } } });
      const server = await listening(t);
      try {
        const forgot = (email: string) => request(server).post("/auth/forgot-password").send({ email });
        for (let i = 0; i < 2; i++) expect((await forgot(fresh("warm"))).status).to.be.within(200, 299);
        expect((await forgot(fresh("warm"))).status).to.equal(429);
        const before = await own!.keys();
        const { statuses, ms } = await flood(3000, (i) => forgot(fresh(`g${i}-`)));
        console.log(`      3,000 refused forgot-password requests in ${ms} ms`);
        expect(statuses).to.deep.equal({ 429: 3000 });
        expect(await own!.keys(), "keys added").to.equal(before);
      } finally {
        server.close();
      }
    });
  });
}
