import { expect } from "chai";
import { OwnRedis, freePorts } from "../helpers/redis.js";
import { startCluster, type LocalCluster } from "../helpers/cluster.js";
import { Browser, startInstance, type Instance } from "../helpers/instances.js";
import { MODES } from "../helpers/client.js";

const PASSWORD = "correct horse battery staple";
const SECRET = "a-shared-secret-for-every-instance-0123456789";

/**
 * Several app instances (example-app processes) on one Redis, as behind a load balancer: state
 * lives only in Redis, so what one instance does the others see at once.
 */
describe("several instances on one Redis (and on a Redis Cluster)", function () {
  this.timeout(180_000);
  const redis = new OwnRedis();
  let cluster: LocalCluster | undefined;
  before(async () => {
    await redis.start();
    cluster = await startCluster(3);
  });
  after(async () => {
    await redis.stop();
    await cluster?.stop();
  });

  const backends = {
    "one redis-server": () => ({ REDIS_URL: redis.url }),
    "a 3-master cluster": () => ({ REDIS_CLUSTER_NODES: cluster!.ports.map((p) => `127.0.0.1:${p}`).join(",") }),
  };

  for (const [backend, backendEnv] of Object.entries(backends))
  for (const mode of MODES) {
    describe(`[${mode}] on ${backend}`, () => {
      let apps: Instance[] = [];
      before(async () => {
        const env = { ...backendEnv(), AUTH_MODE: mode, AUTH_SECRET: SECRET, APP_URL: "http://app.test" };
        apps = await Promise.all((await freePorts(3)).map((port) => startInstance(env, port)));
      });
      after(() => Promise.all(apps.map((a) => a.stop())));

      const [A, B, C] = [0, 1, 2];
      const url = (i: number) => apps[i]!.url;
      let n = 0;
      const fresh = () => `multi-${mode}-${Date.now()}-${n++}@example.com`;

      async function signedIn(on: number) {
        const email = fresh();
        const b = new Browser();
        expect((await b.call(url(on), "POST", "/auth/register", { email, password: PASSWORD })).status).to.equal(201);
        expect((await b.call(url(on), "POST", "/auth/login", { email, password: PASSWORD })).status).to.equal(200);
        return { b, email };
      }

      it("a sign-in on one instance works on the others; logout on one is seen at once by all", async () => {
        const { b } = await signedIn(A);
        for (const i of [A, B, C]) expect((await b.call(url(i), "GET", "/api/profile")).status, `instance ${i}`).to.equal(200);
        const body = mode === "jwt" ? { refresh_token: b.refresh } : undefined;
        expect((await b.call(url(B), "POST", "/auth/logout", body)).status).to.equal(204);
        for (const i of [A, B, C]) expect((await b.call(url(i), "GET", "/api/profile")).status, `instance ${i} after logout`).to.equal(401);
      });

      it("lockout counts across instances", async () => {
        const email = fresh();
        await new Browser().call(url(A), "POST", "/auth/register", { email, password: PASSWORD });
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await new Browser().call(url(i % 3), "POST", "/auth/login", { email, password: `wrong ${i}` })).status);
        for (const i of [A, B, C]) statuses.push((await new Browser().call(url(i), "POST", "/auth/login", { email, password: PASSWORD })).status);
        expect(statuses).to.deep.equal([401, 401, 401, 401, 401, 429, 429, 429]);
      });

      it("a token consumed on one instance cannot be consumed on another (parallel, spread over instances)", async () => {
        const email = fresh();
        await new Browser().call(url(A), "POST", "/auth/register", { email, password: PASSWORD });
        // The verification mail went out from instance A: read its dev outbox as a person would.
        let m: RegExpExecArray | null = null;
        for (let i = 0; i < 50 && !m; i++) {
          const outbox = await (await fetch(`${url(A)}/dev/outbox`)).text();
          const at = outbox.indexOf(email);
          if (at >= 0) m = /token=([A-Za-z0-9_.%-]+)/.exec(outbox.slice(at));
          if (!m) await new Promise((r) => setTimeout(r, 100));
        }
        expect(m, "the verification link is in the outbox").to.not.equal(null);
        const token = decodeURIComponent(m![1]!);
        const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => new Browser().call(url(i % 3), "POST", "/auth/verify-email", { token })));
        expect(answers.filter((a) => a.status === 200)).to.have.length(1);
        expect(answers.filter((a) => a.status === 400 && a.body.code === "INVALID_TOKEN")).to.have.length(8);
      });

      if (mode === "jwt") {
        it("a refresh token rotated on one instance cannot be replayed on another", async () => {
          const { b } = await signedIn(A);
          const old = b.refresh;
          expect((await b.call(url(A), "POST", "/auth/refresh", { refresh_token: old })).status).to.equal(200);
          // Past the 10 s grace window a replay is reuse: the whole family ends, on every instance.
          await new Promise((r) => setTimeout(r, 10_500));
          const replay = await new Browser().call(url(B), "POST", "/auth/refresh", { refresh_token: old });
          expect(replay.status).to.equal(401);
          expect(replay.body.code).to.equal("INVALID_REFRESH_TOKEN");
          for (const i of [A, B, C]) expect((await b.call(url(i), "GET", "/api/profile")).status, `instance ${i}`).to.equal(401);
        });
      } else {
        it("a session rotated on one instance (refresh) is dead on all, the new one alive on all", async () => {
          const { b } = await signedIn(A);
          const oldCookie = b.cookie;
          expect((await b.call(url(A), "POST", "/auth/refresh")).status).to.equal(200);
          const stale = new Browser();
          stale.cookie = oldCookie;
          for (const i of [A, B, C]) {
            expect((await stale.call(url(i), "GET", "/api/profile")).status, `old id on ${i}`).to.equal(401);
            expect((await b.call(url(i), "GET", "/api/profile")).status, `new id on ${i}`).to.equal(200);
          }
        });
      }
    });
  }
});
