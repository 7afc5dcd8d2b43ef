import { expect } from "chai";
import session from "express-session";
import request from "supertest";
import { express } from "../helpers/express.js";
import { resolveOptions } from "../../lib/options.js";
import { MemorySessionIndex } from "../../lib/adapters/memory-session-index.js";
import { RedisSessionIndex } from "../../lib/adapters/redis-session-index.js";
import { Events } from "../../lib/core/events.js";
import { Sessions } from "../../lib/core/sessions.js";
import { toPublicUser } from "../../lib/core/public-user.js";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { Csrf } from "../../lib/http/csrf.js";
import { userGuards } from "../../lib/http/require-user.js";
import { SessionStrategy } from "../../lib/http/strategies/session.js";
import { makeApp, login, register, sessionCookie, SECRET, APP_URL } from "../helpers/app.js";

function sid(res: { headers: Record<string, unknown> }): string {
  return decodeURIComponent(sessionCookie(res)!.split("=")[1]!).slice(2).split(".")[0]!;
}

describe("session strategy", () => {
  it("treats a store that reported a disconnect as an outage (503), never as an anonymous visitor", async () => {
    const opts = resolveOptions({ storage: { inMemory: true }, secret: SECRET, appUrl: APP_URL, logger: { warn() {}, error() {} } });
    if (opts.mode !== "session") throw new Error("session mode expected");
    const store = new session.MemoryStore();
    const csrf = new Csrf(opts.http.allowedOrigins);
    const sessions = new Sessions({ users: new MemoryUserStore(), events: new Events({}, () => {}), serialize: (u) => toPublicUser(u), now: Date.now, timeouts: opts.session });
    const strategy = new SessionStrategy({ settings: opts.session, secrets: opts.secrets, now: Date.now, logger: opts.logger, store, sessions, index: new MemorySessionIndex(), csrf });
    const { requireUser, optionalUser } = userGuards(strategy, opts.logger);
    const app = express();
    let handlerRan = false;
    app.get("/private", requireUser, (_req, res) => {
      handlerRan = true;
      res.end();
    });
    app.get("/maybe", optionalUser, (_req, res) => {
      handlerRan = true;
      res.end();
    });
    store.emit("disconnect");
    for (const path of ["/private", "/maybe"]) {
      const res = await request(app).get(path).set("Cookie", "gh.sid=s%3Aabc.def");
      expect(res.status, path).to.equal(503);
      expect(res.body.code).to.equal("SERVICE_UNAVAILABLE");
    }
    expect(handlerRan).to.equal(false);
  });

  it("keeps the per-user session index in step with login, refresh and logout", async () => {
    const { app, redis, prefix, auth } = await makeApp();
    const { email } = await register(app);
    const user = (await auth.users.findByEmail(email))!;
    const index = new RedisSessionIndex(redis, { keyPrefix: prefix, ttlSeconds: 60 });
    const key = index.key(user.id);
    expect(key).to.equal(`${prefix}{u:${user.id}}:sessions`);
    const a = await login(app, email);
    const b = await login(app, email);
    const now = Date.UTC(2026, 0, 1);
    expect((await index.list(user.id, now)).sort()).to.deep.equal([sid(a.res), sid(b.res)].sort());
    const r = await a.agent.post("/auth/refresh").set("X-CSRF-Token", a.csrfToken);
    expect((await index.list(user.id, now)).sort()).to.deep.equal([sid(r), sid(b.res)].sort());
    await b.agent.post("/auth/logout").set("X-CSRF-Token", b.csrfToken);
    expect(await index.list(user.id, now)).to.deep.equal([sid(r)]);
    expect(await redis.ttl(key)).to.be.greaterThan(0);
  });

  it("the index forgets sessions past their absolute deadline", async () => {
    const index = new MemorySessionIndex();
    await index.add("u", "old", 1000, 0);
    await index.add("u", "new", 5000, 2000);
    expect(await index.list("u", 2000)).to.deep.equal(["new"]);
  });
});
