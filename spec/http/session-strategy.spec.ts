import { createHmac } from "node:crypto";
import { expect } from "chai";
import request from "supertest";
import { express } from "../helpers/express.js";
import { resolveOptions } from "../../lib/options.js";
import { MemoryCredentialStore } from "../../lib/adapters/memory-credential-store.js";
import { MemorySessionStore } from "../../lib/adapters/memory-session-store.js";
import { RedisSessionStore } from "../../lib/adapters/redis-session-store.js";
import { Credentials } from "../../lib/core/credentials.js";
import { Events } from "../../lib/core/events.js";
import { Sessions } from "../../lib/core/sessions.js";
import { toPublicUser } from "../../lib/core/public-user.js";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { Csrf } from "../../lib/http/csrf.js";
import { userGuards } from "../../lib/http/require-user.js";
import { SessionStrategy } from "../../lib/http/strategies/session.js";
import { makeApp, login, register, sessionCookie, sessionIdOf, SECRET, APP_URL } from "../helpers/app.js";

function sid(res: { headers: Record<string, unknown> }): string {
  return sessionIdOf(sessionCookie(res)!);
}

describe("session strategy", () => {
  it("treats a store that reported a disconnect as an outage (503), never as an anonymous visitor", async () => {
    const opts = resolveOptions({ storage: { inMemory: true }, secret: SECRET, appUrl: APP_URL, logger: { warn() {}, error() {} } });
    if (opts.mode !== "session") throw new Error("session mode expected");
    const records = new MemoryCredentialStore();
    const serialize = (u: Parameters<typeof toPublicUser>[0]) => toPublicUser(u);
    const csrf = new Csrf(opts.http.allowedOrigins);
    const sessions = new Sessions({ events: new Events({}, () => {}), now: Date.now, timeouts: opts.session });
    const credentials = new Credentials({ store: records, users: new MemoryUserStore(), serialize, now: Date.now });
    const strategy = new SessionStrategy({ settings: opts.session, secrets: opts.secrets, now: Date.now, logger: opts.logger, store: new MemorySessionStore(records), sessions, credentials, serialize, csrf });
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
    strategy.expressStore.emit("disconnect");
    for (const path of ["/private", "/maybe"]) {
      const res = await request(app).get(path).set("Cookie", "gh.sid=s%3Aabc.def");
      expect(res.status, path).to.equal(503);
      expect(res.body.code).to.equal("SERVICE_UNAVAILABLE");
    }
    expect(handlerRan).to.equal(false);
  });

  it("keeps each session in its user's slot and index, under a handle that survives rotation", async () => {
    const { app, redis, prefix, auth } = await makeApp();
    const { email } = await register(app);
    const user = (await auth.users.findByEmail(email))!;
    const store = new RedisSessionStore(redis, { keyPrefix: prefix });
    // The app's clock (spec/helpers/app.ts).
    const now = Date.UTC(2026, 0, 1);
    const a = await login(app, email);
    const b = await login(app, email);
    expect(sid(a.res).startsWith(`${user.id}.`)).to.equal(true);
    expect(await redis.exists(`${prefix}{u:${user.id}}:sess:${sid(a.res).slice(user.id.length + 1)}`)).to.equal(1);
    const ids = async () => (await store.list(user.id, now)).map((s) => s.sessionId).sort();
    expect(await ids()).to.deep.equal([sid(a.res), sid(b.res)].sort());
    const handles = async () => (await a.agent.get("/auth/sessions")).body.sessions.map((s: { id: string }) => s.id).sort();
    const before = await handles();
    const r = await a.agent.post("/auth/refresh").set("X-CSRF-Token", a.csrfToken);
    expect(await ids()).to.deep.equal([sid(r), sid(b.res)].sort());
    expect(await handles(), "handles stay the same across a rotation").to.deep.equal(before);
    await b.agent.post("/auth/logout").set("X-CSRF-Token", b.csrfToken);
    expect(await ids()).to.deep.equal([sid(r)]);
    expect(await redis.ttl(`${prefix}{u:${user.id}}:sessions`)).to.be.greaterThan(0);
  });

  it("after the upgrade, a sign-in stored by an earlier version (no user in its id) is not signed in; its other data stays", async () => {
    const { app, redis, prefix } = await makeApp();
    const { email, user } = await register(app);
    const id = "oldStyleSessionId0123456789abcdef";
    const old = { cookie: { path: "/", httpOnly: true, sameSite: "lax" }, cart: [1, 2], gh: { uid: user.id, user, createdAt: Date.UTC(2026, 0, 1), seenAt: Date.UTC(2026, 0, 1), pwd: "x" } };
    await redis.set(`${prefix}sess:${id}`, JSON.stringify(old), "EX", 600);
    const signature = createHmac("sha256", SECRET).update(id).digest("base64").replace(/=+$/, "");
    const cookie = `gh.sid=${encodeURIComponent(`s:${id}.${signature}`)}`;
    expect((await request(app).get("/api/profile").set("Cookie", cookie)).status).to.equal(401);
    expect((await request(app).get("/auth/me").set("Cookie", cookie)).status).to.equal(401);
    expect(email).to.be.a("string");
  });

  it("an index entry in an earlier format breaks neither GET /sessions nor a sign-in at the cap", async () => {
    const { app, redis, prefix, auth, clock } = await makeApp({ session: { maxPerUser: 2 } });
    const { email } = await register(app);
    const user = (await auth.users.findByEmail(email))!;
    await redis.zadd(`${prefix}{u:${user.id}}:sessions`, Date.UTC(2027, 0, 1), "oldStyleSessionId0123456789abcdef");
    const a = await login(app, email);
    expect((await a.agent.get("/auth/sessions")).status).to.equal(200);
    clock.advance(1);
    await login(app, email);
    clock.advance(1);
    const c = await login(app, email);
    const listed = (await c.agent.get("/auth/sessions")).body.sessions as unknown[];
    expect(listed).to.have.length(2);
    expect((await a.agent.get("/auth/me")).status, "the oldest session ended at the cap").to.equal(401);
  });
});
