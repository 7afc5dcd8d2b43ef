import { expect } from "chai";
import type { Redis } from "ioredis";
import { makeApp, register, type TestApp } from "../helpers/app.js";
import { MODES, signIn } from "../helpers/client.js";
import { allKeys } from "../helpers/redis.js";

/**
 * The perf smoke check of `npm test`: the figures bench/README.md explains, guarded where they
 * do not depend on the machine. A protected request is one Redis round trip in each mode; a
 * login has a fixed budget; a stored session stays under a documented size.
 */

/**
 * Round trips of one POST /auth/login with rate limits on (bench/README.md, "Guarded figures"):
 * the three login buckets in one script, the email index, the user, whether a second factor is on
 * (one EXISTS), then together the buckets handed back in one script and the compare-and-create
 * script of the session (session mode) or of the refresh family (JWT mode): sent at once, one wait
 * (spec/core/sign-in.spec.ts holds the hand-back until the session has started).
 */
export const LOGIN_ROUND_TRIPS = { session: 7, jwt: 6 } as const;

/** The most bytes a stored session may take with a 256-character user agent (bench/README.md). */
export const SESSION_PAYLOAD_MAX = 900;

interface Counter {
  /** Round trips: a MULTI ... EXEC block counts once, every other command once. */
  trips: number;
  commands: string[];
  reset(): void;
}

/** Counts what `redis` sends from now on, by wrapping its `sendCommand`. */
function countRoundTrips(redis: Redis): Counter {
  const counter: Counter = {
    trips: 0,
    commands: [],
    reset() {
      this.trips = 0;
      this.commands = [];
    },
  };
  let inMulti = false;
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string }, stream?: unknown) => {
    const name = command.name.toLowerCase();
    if (name === "multi") {
      inMulti = true;
      counter.trips++;
    } else if (name === "exec") {
      inMulti = false;
    } else if (!inMulti) {
      counter.trips++;
    }
    counter.commands.push(name);
    return (original as (c: unknown, s?: unknown) => unknown)(command, stream);
  }) as Redis["sendCommand"];
  return counter;
}

for (const mode of MODES) {
  describe(`[${mode}] perf smoke: Redis round trips and payload`, function () {
    this.timeout(20_000);
    let t: TestApp;
    let counter: Counter;

    beforeEach(async () => {
      t = await makeApp(mode === "jwt" ? { mode: "jwt" } : {});
      counter = countRoundTrips(t.redis);
    });

    it("a protected request is one round trip", async () => {
      const { email } = await register(t.app);
      const client = await signIn(t.app, mode, email);
      expect((await client.get("/api/profile")).status).to.equal(200); // scripts cached, LRU warm
      counter.reset();
      for (let i = 0; i < 3; i++) expect((await client.get("/api/profile")).status).to.equal(200);
      expect(counter.trips, counter.commands.join(" ")).to.equal(3);
    });

    it(`a login costs at most ${LOGIN_ROUND_TRIPS[mode]} round trips, rate limits on`, async () => {
      const { email } = await register(t.app);
      await signIn(t.app, mode, email); // scripts cached
      counter.reset();
      await signIn(t.app, mode, email);
      expect(counter.trips, counter.commands.join(" ")).to.be.at.most(LOGIN_ROUND_TRIPS[mode]);
    });

    if (mode === "session") {
      it("a protected request that does not touch req.session runs none of express-session", async () => {
        const ownSession = (req: object) => Object.prototype.hasOwnProperty.call(req, "session");
        t.app.get("/api/untouched", t.auth.requireUser, (req, res) => res.json({ ran: ownSession(req) }));
        t.app.get("/api/touched", t.auth.requireUser, (req, res) => res.json({ before: ownSession(req), user: req.session.gh?.uid === req.user?.id, after: ownSession(req) }));
        const { email } = await register(t.app);
        const client = await signIn(t.app, mode, email);
        // express-session gives the request its own `session` property when it runs.
        expect((await client.get("/api/untouched")).body).to.deep.equal({ ran: false });
        expect((await client.get("/api/touched")).body).to.deep.equal({ before: false, user: true, after: true });
      });

      it(`a stored session takes at most ${SESSION_PAYLOAD_MAX} bytes with a 256-character user agent`, async () => {
        const { email } = await register(t.app);
        const client = await signIn(t.app, mode, email);
        await client.agent.post("/auth/login").set("User-Agent", "x".repeat(400)).send({ email, password: "correct horse battery staple" });
        const keys = await allKeys(t.redis, `${t.prefix}{u:*}:sess:*`);
        expect(keys.length).to.be.greaterThan(0);
        const sizes = await Promise.all(keys.map(async (k) => Buffer.byteLength((await t.redis.get(k)) ?? "")));
        expect(Math.max(...sizes)).to.be.at.most(SESSION_PAYLOAD_MAX);
      });
    }
  });
}
