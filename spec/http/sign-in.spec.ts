import { expect } from "chai";
import request from "supertest";
import { BcryptHasher } from "../../lib/adapters/bcrypt-hasher.js";
import { Argon2Hasher } from "../../lib/adapters/argon2-hasher.js";
import { makeApp, register, sessionCookie, PASSWORD, CountingHasher, fastHasher } from "../helpers/app.js";
import { Client, MODES, signIn } from "../helpers/client.js";

// Session-only behaviour (cookie flags, fixation, CSRF on app routes, timeouts) is in
// session-mode.spec.ts; JWT-only behaviour is in jwt.spec.ts.

for (const mode of MODES) {
  const app = (overrides = {}, setup?: Parameters<typeof makeApp>[1]) => makeApp({ mode, ...overrides }, setup);

  describe(`[${mode}] POST /register`, () => {
    it("creates a user (201) with the public fields only, email normalized", async () => {
      const { app: a } = await app();
      const res = await request(a).post("/auth/register").send({ email: "  Ada@Example.COM ", password: PASSWORD, name: "Ada" });
      expect(res.status).to.equal(201);
      expect(res.body.user).to.have.keys(["id", "email", "name", "emailVerified", "createdAt", "updatedAt"]);
      expect(res.body.user.email).to.equal("ada@example.com");
      expect(res.body.user.name).to.equal("Ada");
      expect(res.body.user.emailVerified).to.equal(false);
      expect(res.body.user.id).to.match(/^[A-Za-z0-9_-]{16,}$/);
      expect(res.headers["cache-control"]).to.equal("no-store");
      expect(sessionCookie(res)).to.equal(undefined);
      expect(res.body).to.not.have.any.keys(["csrfToken", "access_token", "refresh_token"]);
    });

    it("ignores fields a client must not set (mass assignment)", async () => {
      const { app: a, auth } = await app();
      const res = await request(a)
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
      const { app: a } = await app();
      await register(a, "taken@example.com");
      const res = await request(a).post("/auth/register").send({ email: "TAKEN@example.com", password: PASSWORD });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal("EMAIL_ALREADY_REGISTERED");
      expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
    });

    it("lets exactly one of 10 concurrent registrations of one email succeed", async () => {
      const { app: a, auth } = await app();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => request(a).post("/auth/register").send({ email: "race@example.com", password: PASSWORD })),
      );
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).to.have.length(1);
      expect(statuses.filter((s) => s === 400)).to.have.length(9);
      const winner = answers.find((r) => r.status === 201)!.body.user.id;
      expect((await auth.users.findByEmail("race@example.com"))!.id).to.equal(winner);
    });

    it("applies the password policy: length in code points, common passwords", async () => {
      const { app: a } = await app();
      const post = (password: unknown) => request(a).post("/auth/register").send({ email: `p${Math.random()}@example.com`, password });
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
      const { app: a } = await app();
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
        const res = await request(a).post("/auth/register").send(body as object);
        expect(res.status, JSON.stringify(body)).to.equal(422);
        expect(res.body.code).to.equal("VALIDATION_FAILED");
        expect(res.body.errors.find((e: { field: string }) => e.field === field), JSON.stringify(body)).to.include({ code });
      }
    });

    it("signs the user in when signInOnRegister is set", async () => {
      const { app: a } = await app({ signInOnRegister: true });
      const c = new Client(a, mode);
      const res = await c.agent.post("/auth/register").send({ email: "auto@example.com", password: PASSWORD });
      expect(res.status).to.equal(201);
      expect(res.body.user.email).to.equal("auto@example.com");
      if (mode === "session") {
        expect(res.body.csrfToken).to.be.a("string");
        expect(sessionCookie(res)).to.be.a("string");
      } else {
        expect(res.body).to.include({ token_type: "bearer" });
        expect(res.body.access_token).to.be.a("string");
        expect(res.body.refresh_token).to.be.a("string");
        expect(res.headers["set-cookie"]).to.equal(undefined);
      }
      c.take(res.body);
      expect(await c.meStatus()).to.equal(200);
    });
  });

  describe(`[${mode}] POST /login`, () => {
    it(
      mode === "session" ? "answers {user, csrfToken} and a new session cookie" : "answers {user, access_token, refresh_token, token_type, expires_in} and no cookie",
      async () => {
        const { app: a } = await app();
        const { email } = await register(a);
        const c = new Client(a, mode);
        const res = await c.login(email);
        expect(res.status).to.equal(200);
        expect(res.body.user.email).to.equal(email);
        expect(res.body.user).to.have.keys(["id", "email", "name", "emailVerified", "createdAt", "updatedAt"]);
        if (mode === "session") {
          expect(res.body).to.have.keys(["user", "csrfToken"]);
          expect(res.body.csrfToken).to.be.a("string").with.length.greaterThan(20);
          expect(sessionCookie(res)).to.be.a("string");
        } else {
          expect(res.body).to.have.keys(["user", "access_token", "refresh_token", "token_type", "expires_in", "device_token"]);
          expect(res.body.token_type).to.equal("bearer");
          expect(res.body.expires_in).to.be.a("number").greaterThan(0);
          expect(res.headers["set-cookie"]).to.equal(undefined);
        }
        const me = await c.get("/auth/me");
        expect(me.status).to.equal(200);
        expect(me.body.user.email).to.equal(email);
      },
    );

    it("accepts the email in another case and with spaces", async () => {
      const { app: a } = await app();
      await register(a, "case@example.com");
      const res = await request(a).post("/auth/login").send({ email: " CASE@Example.com", password: PASSWORD });
      expect(res.status).to.equal(200);
    });

    it("answers an unknown email and a wrong password identically, with one hash verification each", async () => {
      const { app: a, hasher } = await app();
      const { email } = await register(a);
      await request(a).post("/auth/login").send({ email: "warm@example.com", password: "x" }); // the dummy hash is ready
      const before = hasher.verifies;
      const wrong = await request(a).post("/auth/login").send({ email, password: "wrong password here" });
      const afterWrong = hasher.verifies;
      const unknown = await request(a).post("/auth/login").send({ email: "nobody@example.com", password: "wrong password here" });
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
      const { app: a } = await app();
      const password = "Ünïcödé pass phrase 😀 with spaces";
      const { email } = await register(a, undefined, password);
      for (const variant of [password.toLowerCase(), password.toUpperCase(), password.slice(0, -1), `${password}x`]) {
        expect((await request(a).post("/auth/login").send({ email, password: variant })).status, variant).to.equal(401);
      }
      expect((await request(a).post("/auth/login").send({ email, password })).status).to.equal(200);
    });

    it("upgrades a bcrypt hash to argon2id on the next successful login", async () => {
      const { app: a, auth, clock } = await app();
      const legacy = await new BcryptHasher({ cost: 10 }).hash(PASSWORD);
      const user = await auth.users.create({ email: "legacy@example.com", name: null, passwordHash: legacy, emailVerified: false, createdAt: clock.now() });
      expect((await request(a).post("/auth/login").send({ email: "legacy@example.com", password: PASSWORD })).status).to.equal(200);
      expect((await auth.users.findById(user!.id))!.passwordHash).to.match(/^\$argon2id\$/);
      expect((await request(a).post("/auth/login").send({ email: "legacy@example.com", password: PASSWORD })).status).to.equal(200);
    });

    it("upgrades an argon2 hash made with weaker parameters", async () => {
      const strong = new CountingHasher(fastHasher());
      const { app: a, auth, clock } = await app({ hashing: { hasher: strong } });
      const weak = await new Argon2Hasher({ memoryCost: 512, timeCost: 1, parallelism: 1 }).hash(PASSWORD);
      const user = await auth.users.create({ email: "weak@example.com", name: null, passwordHash: weak, emailVerified: false, createdAt: clock.now() });
      expect((await request(a).post("/auth/login").send({ email: "weak@example.com", password: PASSWORD })).status).to.equal(200);
      expect((await auth.users.findById(user!.id))!.passwordHash).to.contain("m=1024");
    });
  });

  describe(`[${mode}] POST /logout`, () => {
    it(
      mode === "session" ? "destroys the session server-side: the old cookie is 401 afterwards" : "ends the family: the access token is 401 at once, the refresh token is dead",
      async () => {
        const { app: a } = await app();
        const { email } = await register(a);
        const c = await signIn(a, mode, email);
        const held = c.held();
        expect((await c.replay(held)).status, "the control: the credential works before").to.equal(200);
        const out = await c.post("/auth/logout");
        expect(out.status).to.equal(204);
        if (mode === "session") expect(([] as string[]).concat(out.headers["set-cookie"] as unknown as string[]).join()).to.match(/gh\.sid=;/);
        else expect(out.headers["set-cookie"]).to.equal(undefined);
        const replay = await c.replay(held);
        expect(replay.status).to.equal(401);
        expect(replay.body.code).to.equal("UNAUTHENTICATED");
        if (mode === "jwt") {
          const refreshed = await c.refresh();
          expect(refreshed.status).to.equal(401);
          expect(refreshed.body.code).to.equal("INVALID_REFRESH_TOKEN");
        }
      },
    );

    it("is 401 without credentials and refuses GET", async () => {
      const { app: a } = await app();
      const anonymous = await request(a).post("/auth/logout");
      expect(anonymous.status).to.equal(401);
      expect(anonymous.body.code).to.equal("UNAUTHENTICATED");
      expect((await request(a).get("/auth/logout")).status).to.equal(404);
    });
  });

  describe(`[${mode}] POST /refresh`, () => {
    it(
      mode === "session" ? "answers {user, csrfToken}; the client stays signed in; the old session id is dead" : "answers a new pair; the client stays signed in; the old refresh token is dead after the grace window",
      async () => {
        const { app: a, clock } = await app();
        const { email } = await register(a);
        const c = await signIn(a, mode, email);
        const held = c.held();
        const { csrfToken: oldCsrf, accessToken: oldAccess, refreshToken: oldRefresh } = c;
        const r = await c.refresh();
        expect(r.status).to.equal(200);
        if (mode === "session") {
          expect(r.body).to.have.keys(["user", "csrfToken"]);
          expect(r.body.user.email).to.equal(email);
          expect(r.body.csrfToken).to.be.a("string").and.not.equal(oldCsrf);
        } else {
          expect(r.body).to.have.keys(["access_token", "refresh_token", "token_type", "expires_in"]);
          expect(r.body.token_type).to.equal("bearer");
          expect(r.body.access_token).to.be.a("string").and.not.equal(oldAccess);
          expect(r.body.refresh_token).to.be.a("string").and.not.equal(oldRefresh);
        }
        expect(await c.meStatus()).to.equal(200);
        if (mode === "session") {
          expect((await c.replay(held)).status, "the old session id is dead").to.equal(401);
        } else {
          clock.advance(11); // past the grace window
          const replay = await request(a).post("/auth/refresh").send({ refresh_token: oldRefresh });
          expect(replay.status).to.equal(401);
          expect(replay.body.code).to.equal("INVALID_REFRESH_TOKEN");
        }
      },
    );
  });

  describe(`[${mode}] GET /me and requireUser`, () => {
    it("answer 401 UNAUTHENTICATED without credentials, and for forged ones", async () => {
      const { app: a } = await app();
      const forged: [string, string][] =
        mode === "session"
          ? [
              ["Cookie", "gh.sid=s%3Aforged.signature"],
              ["Cookie", "gh.sid=plain-unsigned-id"],
            ]
          : [
              ["Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged"],
              ["Authorization", "Bearer not-a-token"],
            ];
      for (const credential of [undefined, ...forged]) {
        for (const path of ["/api/profile", "/auth/me"]) {
          const req = request(a).get(path);
          const res = credential ? await req.set(credential[0], credential[1]) : await req;
          expect(res.status, `${path} ${credential?.[1]}`).to.equal(401);
          expect(res.body.code).to.equal("UNAUTHENTICATED");
          expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
        }
      }
    });

    it("protect any route of the app and type req.user; optionalUser lets anonymous through", async () => {
      const { app: a } = await app();
      const { email } = await register(a);
      const c = await signIn(a, mode, email);
      expect((await c.get("/api/profile")).body.user.email).to.equal(email);
      expect((await request(a).get("/api/maybe")).body.user).to.equal(null);
      expect((await c.get("/api/maybe")).body.user.email).to.equal(email);
      const posted = await c.post("/api/profile");
      expect(posted.status).to.equal(200);
      expect(posted.body.user.email).to.equal(email);
      expect((await request(a).post("/api/profile")).status).to.equal(401);
    });

    if (mode === "session") {
      it("signs out sessions of a user deleted behind the library's back within touchAfter", async () => {
        const { app: a, auth, clock } = await app();
        const { email } = await register(a);
        const c = await signIn(a, mode, email);
        const user = await auth.users.findByEmail(email);
        await auth.users.delete(user!.id);
        clock.advance(61);
        expect(await c.meStatus()).to.equal(401);
      });
    } else {
      it("a user deleted behind the library's back cannot refresh, and the family ends with it", async () => {
        const { app: a, auth, clock } = await app();
        const { email } = await register(a);
        const c = await signIn(a, mode, email);
        const user = await auth.users.findByEmail(email);
        await auth.users.delete(user!.id);
        clock.advance(61);
        const refreshed = await c.refresh();
        expect(refreshed.status).to.equal(401);
        expect(refreshed.body.code).to.equal("INVALID_REFRESH_TOKEN");
        expect(await c.meStatus(), "the access token of the ended family").to.equal(401);
      });
    }
  });
}
