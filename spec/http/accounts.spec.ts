import { expect } from "chai";
import request from "supertest";
import { BcryptHasher } from "../../lib/adapters/bcrypt-hasher.js";
import { makeApp, login, register, sessionCookie, PASSWORD, CountingHasher, fastHasher, ORIGIN } from "../helpers/app.js";

describe("POST /register", () => {
  it("creates a user (201) with the public fields only, email normalized", async () => {
    const { app } = await makeApp();
    const res = await request(app).post("/auth/register").send({ email: "  Ada@Example.COM ", password: PASSWORD, name: "Ada" });
    expect(res.status).to.equal(201);
    expect(res.body.user).to.have.keys(["id", "email", "name", "emailVerified", "createdAt", "updatedAt"]);
    expect(res.body.user.email).to.equal("ada@example.com");
    expect(res.body.user.name).to.equal("Ada");
    expect(res.body.user.emailVerified).to.equal(false);
    expect(res.body.user.id).to.match(/^[A-Za-z0-9_-]{16,}$/);
    expect(res.headers["cache-control"]).to.equal("no-store");
    expect(sessionCookie(res)).to.equal(undefined);
  });

  it("ignores fields a client must not set (mass assignment)", async () => {
    const { app, auth } = await makeApp();
    const res = await request(app)
      .post("/auth/register")
      .send({ email: "mass@example.com", password: PASSWORD, emailVerified: true, id: "admin", passwordHash: "x", role: "admin", createdAt: 0 });
    expect(res.status).to.equal(201);
    expect(res.body.user.emailVerified).to.equal(false);
    expect(res.body.user.id).to.not.equal("admin");
    const stored = await auth.users.findByEmail("mass@example.com");
    expect(stored!.passwordHash).to.match(/^\$argon2id\$/);
    expect(stored).to.not.have.property("role");
  });

  it("refuses a taken email, whatever its case (400 EMAIL_ALREADY_REGISTERED)", async () => {
    const { app } = await makeApp();
    await register(app, "taken@example.com");
    const res = await request(app).post("/auth/register").send({ email: "TAKEN@example.com", password: PASSWORD });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal("EMAIL_ALREADY_REGISTERED");
    expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
  });

  it("lets exactly one of 10 concurrent registrations of one email succeed", async () => {
    const { app, auth } = await makeApp();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => request(app).post("/auth/register").send({ email: "race@example.com", password: PASSWORD })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).to.have.length(1);
    expect(statuses.filter((s) => s === 400)).to.have.length(9);
    const winner = answers.find((r) => r.status === 201)!.body.user.id;
    expect((await auth.users.findByEmail("race@example.com"))!.id).to.equal(winner);
  });

  it("applies the password policy: length in code points, common passwords", async () => {
    const { app } = await makeApp();
    const post = (password: unknown) => request(app).post("/auth/register").send({ email: `p${Math.random()}@example.com`, password });
    const short = await post("seven77");
    expect(short.status).to.equal(422);
    expect(short.body.errors[0]).to.include({ field: "password", code: "TOO_SHORT" });
    expect((await post("😀".repeat(8))).status, "8 emoji are 8 characters").to.equal(201);
    expect((await post("😀".repeat(128))).status).to.equal(201);
    const long = await post("a".repeat(129));
    expect(long.status).to.equal(422);
    expect(long.body.errors[0].code).to.equal("TOO_LONG");
    const common = await post("Password123");
    expect(common.status).to.equal(422);
    expect(common.body.errors[0].code).to.equal("PASSWORD_TOO_COMMON");
    expect((await post("all lowercase passphrase without rules")).status, "no composition rules").to.equal(201);
  });

  it("answers 422 VALIDATION_FAILED for missing, mistyped and malformed fields", async () => {
    const { app } = await makeApp();
    const cases: [unknown, string, string][] = [
      [{ password: PASSWORD }, "email", "REQUIRED"],
      [{ email: "a@example.com" }, "password", "REQUIRED"],
      [{ email: ["a@example.com", "b@evil.test"], password: PASSWORD }, "email", "INVALID_TYPE"],
      [{ email: { $gt: "" }, password: PASSWORD }, "email", "INVALID_TYPE"],
      [{ email: 42, password: PASSWORD }, "email", "INVALID_TYPE"],
      [{ email: "a@example.com", password: true }, "password", "INVALID_TYPE"],
      [{ email: "a@example.com", password: [PASSWORD] }, "password", "INVALID_TYPE"],
      [{ email: "not-an-email", password: PASSWORD }, "email", "INVALID_EMAIL"],
      [{ email: "a@example.com, b@evil.test", password: PASSWORD }, "email", "INVALID_EMAIL"],
      [{ email: "a@example.com\r\nBcc: b@evil.test", password: PASSWORD }, "email", "INVALID_EMAIL"],
      [{ email: `${"a".repeat(250)}@example.com`, password: PASSWORD }, "email", "INVALID_EMAIL"],
      [{ email: "a@example.com", password: PASSWORD, name: "x\ny" }, "name", "INVALID_CHARACTERS"],
      [{ email: "a@example.com", password: PASSWORD, name: ["x"] }, "name", "INVALID_TYPE"],
    ];
    for (const [body, field, code] of cases) {
      const res = await request(app).post("/auth/register").send(body as object);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expect(res.body.code).to.equal("VALIDATION_FAILED");
      expect(res.body.errors.find((e: { field: string }) => e.field === field), JSON.stringify(body)).to.include({ code });
    }
  });

  it("signs the user in when signInOnRegister is set", async () => {
    const { app } = await makeApp({ signInOnRegister: true });
    const agent = request.agent(app);
    const res = await agent.post("/auth/register").send({ email: "auto@example.com", password: PASSWORD });
    expect(res.status).to.equal(201);
    expect(res.body.csrfToken).to.be.a("string");
    expect((await agent.get("/auth/me")).status).to.equal(200);
  });
});

describe("POST /login", () => {
  it("answers {user, csrfToken} and a new session cookie", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { agent, res } = await login(app, email);
    expect(res.body.user.email).to.equal(email);
    expect(res.body.csrfToken).to.be.a("string").with.length.greaterThan(20);
    expect(res.body).to.not.have.nested.property("user.passwordHash");
    const me = await agent.get("/auth/me");
    expect(me.status).to.equal(200);
    expect(me.body.user.email).to.equal(email);
  });

  it("accepts the email in another case and with spaces", async () => {
    const { app } = await makeApp();
    await register(app, "case@example.com");
    const res = await request(app).post("/auth/login").send({ email: " CASE@Example.com", password: PASSWORD });
    expect(res.status).to.equal(200);
  });

  it("answers an unknown email and a wrong password identically, with one hash verification each", async () => {
    const { app, hasher } = await makeApp();
    const { email } = await register(app);
    await request(app).post("/auth/login").send({ email: "warm@example.com", password: "x" }); // the dummy hash is ready
    const before = hasher.verifies;
    const wrong = await request(app).post("/auth/login").send({ email, password: "wrong password here" });
    const afterWrong = hasher.verifies;
    const unknown = await request(app).post("/auth/login").send({ email: "nobody@example.com", password: "wrong password here" });
    expect(afterWrong - before).to.equal(1);
    expect(hasher.verifies - afterWrong).to.equal(1);
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    expect(wrong.body).to.deep.equal(unknown.body);
    expect(wrong.body.code).to.equal("INVALID_CREDENTIALS");
    const pick = (h: Record<string, string>) => ({ ...h, date: undefined, etag: undefined });
    expect(pick(wrong.headers)).to.deep.equal(pick(unknown.headers));
  });

  it("never truncates or case-folds the password", async () => {
    const { app } = await makeApp();
    const password = "Ünïcödé pass phrase 😀 with spaces";
    const { email } = await register(app, undefined, password);
    for (const variant of [password.toLowerCase(), password.toUpperCase(), password.slice(0, -1), `${password}x`]) {
      expect((await request(app).post("/auth/login").send({ email, password: variant })).status, variant).to.equal(401);
    }
    expect((await request(app).post("/auth/login").send({ email, password })).status).to.equal(200);
  });

  it("upgrades a bcrypt hash to argon2id on the next successful login", async () => {
    const { app, auth, clock } = await makeApp();
    const legacy = await new BcryptHasher({ cost: 10 }).hash(PASSWORD);
    const user = await auth.users.create({ email: "legacy@example.com", name: null, passwordHash: legacy, emailVerified: false, createdAt: clock.now() });
    expect((await request(app).post("/auth/login").send({ email: "legacy@example.com", password: PASSWORD })).status).to.equal(200);
    expect((await auth.users.findById(user!.id))!.passwordHash).to.match(/^\$argon2id\$/);
    expect((await request(app).post("/auth/login").send({ email: "legacy@example.com", password: PASSWORD })).status).to.equal(200);
  });

  it("upgrades an argon2 hash made with weaker parameters", async () => {
    const strong = new CountingHasher(fastHasher());
    const { app, auth, clock } = await makeApp({ hashing: { hasher: strong } });
    const weak = await new (await import("../../lib/adapters/argon2-hasher.js")).Argon2Hasher({ memoryCost: 512, timeCost: 1, parallelism: 1 }).hash(PASSWORD);
    const user = await auth.users.create({ email: "weak@example.com", name: null, passwordHash: weak, emailVerified: false, createdAt: clock.now() });
    expect((await request(app).post("/auth/login").send({ email: "weak@example.com", password: PASSWORD })).status).to.equal(200);
    expect((await auth.users.findById(user!.id))!.passwordHash).to.contain("m=1024");
  });

  it("changes the session id: a cookie from before sign-in is dead after (no fixation)", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const agent = request.agent(app);
    const pre = await agent.get("/auth/csrf");
    const before = sessionCookie(pre);
    expect(before).to.be.a("string");
    const res = await agent.post("/auth/login").set("X-CSRF-Token", pre.body.csrfToken).send({ email, password: PASSWORD });
    expect(res.status).to.equal(200);
    const after = sessionCookie(res);
    expect(after).to.be.a("string").and.not.equal(before);
    expect(res.body.csrfToken).to.not.equal(pre.body.csrfToken);
    expect((await request(app).get("/auth/me").set("Cookie", before!)).status).to.equal(401);
    expect((await request(app).get("/auth/me").set("Cookie", after!)).status).to.equal(200);
  });
});

describe("session cookie", () => {
  it("is HttpOnly, SameSite=Lax, Path=/, not Secure on an http appUrl, without Max-Age", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { res } = await login(app, email);
    const cookie = ([] as string[]).concat(res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("gh.sid="))!;
    expect(cookie).to.match(/; Path=\//);
    expect(cookie).to.match(/; HttpOnly/);
    expect(cookie).to.match(/; SameSite=Lax/);
    expect(cookie).to.not.match(/Secure/);
    expect(cookie).to.not.match(/Max-Age|Expires/);
  });

  it("is Secure and __Host- prefixed when appUrl is https (behind a trusted proxy)", async () => {
    const { app } = await makeApp({ appUrl: "https://app.test" }, (a) => a.set("trust proxy", "loopback"));
    const { email } = await register(app);
    const res = await request(app).post("/auth/login").set("X-Forwarded-Proto", "https").send({ email, password: PASSWORD });
    expect(res.status).to.equal(200);
    const cookie = ([] as string[]).concat(res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("__Host-gh.sid="))!;
    expect(cookie).to.match(/; Secure/);
    expect(cookie).to.match(/; HttpOnly/);
    expect(cookie).to.not.match(/Domain=/);
  });
});

describe("POST /logout", () => {
  it("destroys the session server-side: the old cookie is 401 afterwards", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { agent, csrfToken, res } = await login(app, email);
    const cookie = sessionCookie(res)!;
    const out = await agent.post("/auth/logout").set("X-CSRF-Token", csrfToken);
    expect(out.status).to.equal(204);
    expect(([] as string[]).concat(out.headers["set-cookie"] as unknown as string[]).join()).to.match(/gh\.sid=;/);
    const replay = await request(app).get("/auth/me").set("Cookie", cookie);
    expect(replay.status).to.equal(401);
    expect(replay.body.code).to.equal("UNAUTHENTICATED");
  });

  it("is not undone by a slow request that ends after it (no session resurrection)", async () => {
    const { app, auth, clock } = await makeApp();
    let reached!: () => void;
    const inHandler = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    app.get("/api/slow", auth.requireUser, async (_req, res) => {
      reached();
      await gate;
      res.json({ ok: true });
    });
    const { email } = await register(app);
    const { agent, csrfToken, res } = await login(app, email);
    const cookie = sessionCookie(res)!;
    clock.advance(61); // the slow request will touch (re-save) the session
    const slow = agent.get("/api/slow").then((r) => r);
    await inHandler;
    expect((await agent.post("/auth/logout").set("X-CSRF-Token", csrfToken)).status).to.equal(204);
    release();
    expect((await slow).status).to.equal(200);
    expect((await request(app).get("/auth/me").set("Cookie", cookie)).status).to.equal(401);
  });

  it("is 401 without a session and refuses GET", async () => {
    const { app } = await makeApp();
    expect((await request(app).post("/auth/logout")).status).to.equal(401);
    expect((await request(app).get("/auth/logout")).status).to.equal(404);
  });
});

describe("POST /refresh", () => {
  it("moves the session to a new id, kills the old one, and answers {user, csrfToken}", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { agent, csrfToken, res } = await login(app, email);
    const old = sessionCookie(res)!;
    const r = await agent.post("/auth/refresh").set("X-CSRF-Token", csrfToken);
    expect(r.status).to.equal(200);
    expect(r.body.user.email).to.equal(email);
    expect(r.body.csrfToken).to.be.a("string").and.not.equal(csrfToken);
    const fresh = sessionCookie(r)!;
    expect(fresh).to.not.equal(old);
    expect((await request(app).get("/auth/me").set("Cookie", old)).status).to.equal(401);
    expect((await request(app).get("/auth/me").set("Cookie", fresh)).status).to.equal(200);
    // the old CSRF token died with the old session
    expect((await agent.post("/auth/refresh").set("X-CSRF-Token", csrfToken)).status).to.equal(403);
  });
});

describe("timeouts (injected clock)", () => {
  it("signs out after the idle timeout, not before", async () => {
    const { app, clock } = await makeApp({ session: { idleTimeout: 600, touchAfter: 60 } });
    const { email } = await register(app);
    const { agent } = await login(app, email);
    clock.advance(590);
    expect((await agent.get("/auth/me")).status).to.equal(200);
    clock.advance(590); // activity at 590 s pushed the idle deadline forward
    expect((await agent.get("/auth/me")).status).to.equal(200);
    clock.advance(601);
    expect((await agent.get("/auth/me")).status).to.equal(401);
  });

  it("signs out after the absolute timeout however active, and refresh does not extend it", async () => {
    const { app, clock } = await makeApp({ session: { idleTimeout: 600, absoluteTimeout: 3600 } });
    const { email } = await register(app);
    const { agent } = await login(app, email);
    for (let t = 0; t < 3500; t += 500) {
      clock.advance(500);
      const { body } = await agent.get("/auth/csrf");
      const refreshed = await agent.post("/auth/refresh").set("X-CSRF-Token", body.csrfToken);
      expect(refreshed.status).to.equal(200);
    }
    clock.advance(200);
    expect((await agent.get("/auth/me")).status).to.equal(401);
  });

  it("writes the session at most once per touchAfter (a protected request is a single GET)", async () => {
    const { app, clock, redis, prefix } = await makeApp({ session: { touchAfter: 60 } });
    const { email } = await register(app);
    const { agent, res } = await login(app, email);
    const sid = decodeURIComponent(sessionCookie(res)!.split("=")[1]!).slice(2).split(".")[0];
    const key = `${prefix}sess:${sid}`;
    const ttl0 = await redis.ttl(key);
    await redis.expire(key, 100); // mark: a touch would reset it
    clock.advance(30);
    expect((await agent.get("/api/profile")).status).to.equal(200);
    expect(await redis.ttl(key)).to.be.at.most(100);
    clock.advance(31);
    expect((await agent.get("/api/profile")).status).to.equal(200);
    expect(await redis.ttl(key)).to.be.greaterThan(100).and.at.most(ttl0);
  });
});

describe("GET /me and requireUser", () => {
  it("answer 401 UNAUTHENTICATED without a session, and for a forged cookie", async () => {
    const { app } = await makeApp();
    for (const cookie of [undefined, "gh.sid=s%3Aforged.signature", "gh.sid=plain-unsigned-id"]) {
      const req = request(app).get("/api/profile");
      const res = cookie ? await req.set("Cookie", cookie) : await req;
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("UNAUTHENTICATED");
      expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
    }
  });

  it("protect any route of the app and type req.user; optionalUser lets anonymous through", async () => {
    const { app } = await makeApp();
    const { email } = await register(app);
    const { agent, csrfToken } = await login(app, email);
    expect((await agent.get("/api/profile")).body.user.email).to.equal(email);
    expect((await request(app).get("/api/maybe")).body.user).to.equal(null);
    expect((await agent.get("/api/maybe")).body.user.email).to.equal(email);
    // unsafe methods on the app's own routes need the CSRF token too
    expect((await agent.post("/api/profile")).status).to.equal(403);
    expect((await agent.post("/api/profile").set("X-CSRF-Token", csrfToken)).status).to.equal(200);
    expect((await agent.post("/api/profile").set("X-CSRF-Token", csrfToken).set("Origin", "http://evil.test")).status).to.equal(403);
    expect((await agent.post("/api/profile").set("X-CSRF-Token", csrfToken).set("Origin", ORIGIN)).status).to.equal(200);
  });

  it("signs out sessions of a user deleted behind the library's back within touchAfter", async () => {
    const { app, auth, clock } = await makeApp();
    const { email } = await register(app);
    const { agent } = await login(app, email);
    const user = await auth.users.findByEmail(email);
    await auth.users.delete(user!.id);
    clock.advance(61);
    expect((await agent.get("/auth/me")).status).to.equal(401);
  });
});
