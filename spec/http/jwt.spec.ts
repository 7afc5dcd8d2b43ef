import { expect } from "chai";
import { generateKeyPairSync, createHmac } from "node:crypto";
import request from "supertest";
import { SignJWT, UnsecuredJWT, exportJWK, decodeJwt } from "jose";
import { makeApp, register, PASSWORD, APP_URL, SECRET } from "../helpers/app.js";
import { signIn } from "../helpers/client.js";

const jwtApp = (extra = {}) => makeApp({ mode: "jwt", ...extra });

/** The HS256 key the router derives from SECRET (to forge tokens that are validly signed). */
function derivedKey(secret = SECRET): Uint8Array {
  return new Uint8Array(createHmac("sha256", secret).update("gatehouse/jwt/hs256").digest());
}

describe("JWT mode", () => {
  it("login answers {user, access_token, refresh_token, token_type, expires_in} and sets no cookie", async () => {
    const t = await jwtApp();
    const { email } = await register(t.app);
    const res = await request(t.app).post("/auth/login").send({ email, password: PASSWORD });
    expect(res.status).to.equal(200);
    expect(res.body).to.have.keys(["user", "access_token", "refresh_token", "token_type", "expires_in", "device_token"]);
    expect(res.body.token_type).to.equal("bearer");
    expect(res.body.expires_in).to.equal(900);
    expect(res.headers["set-cookie"]).to.equal(undefined);
    const claims = decodeJwt(res.body.access_token);
    expect(claims).to.include.keys(["sub", "sid", "jti", "iat", "exp", "iss", "aud"]);
    expect(claims.exp! - claims.iat!).to.equal(900);
    expect(claims.iss).to.equal(APP_URL);
    const me = await request(t.app).get("/auth/me").set("Authorization", `Bearer ${res.body.access_token}`);
    expect(me.status).to.equal(200);
    expect(me.body.user.email).to.equal(email);
    expect((await request(t.app).get("/api/profile").set("Authorization", `Bearer ${res.body.access_token}`)).status).to.equal(200);
  });

  it("needs no CSRF token, has no /csrf, and /token is 404 in session mode", async () => {
    const t = await jwtApp();
    const { email } = await register(t.app);
    const c = await signIn(t.app, "jwt", email);
    expect((await c.post("/api/profile").set("Origin", "http://elsewhere.test")).status).to.equal(200);
    expect((await request(t.app).get("/auth/csrf")).status).to.equal(404);
    const s = await makeApp();
    expect((await request(s.app).post("/auth/token").send({ username: email, password: PASSWORD })).status).to.equal(404);
  });

  describe("forged and unusable access tokens are 401 UNAUTHENTICATED", () => {
    it("refuses alg none, a wrong key, tampering, another audience or issuer, a missing claim or type, a refresh token, an expired token", async () => {
      const t = await jwtApp();
      const { email, user } = await register(t.app);
      const c = await signIn(t.app, "jwt", email);
      const real = decodeJwt(c.accessToken);
      const key = derivedKey();
      const kid = JSON.parse(Buffer.from(c.accessToken.split(".")[0]!, "base64url").toString()).kid as string;
      const now = Math.floor(t.clock.now() / 1000);
      const base = { sid: real.sid, sub: user.id };
      const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, signingKey: Uint8Array = key) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt", ...header })
          .sign(signingKey);
      const full = { ...base, jti: "j", iat: now, exp: now + 600, iss: APP_URL, aud: APP_URL };
      // The control: our own forgery with every claim right is accepted, so each refusal below is about its one defect.
      expect((await request(t.app).get("/auth/me").set("Authorization", `Bearer ${await sign(full)}`)).status).to.equal(200);
      const [h, , s] = c.accessToken.split(".");
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...real, sub: "someone-else" })).toString("base64url")}.${s}`;
      const { privateKey } = generateKeyPairSync("ed25519");
      const attackerJwk = await exportJWK(generateKeyPairSync("ed25519").publicKey);
      const forged: Record<string, string> = {
        "alg none": new UnsecuredJWT(full).encode(),
        "signed with another secret": await sign(full, {}, derivedKey("another-secret-that-is-long-enough-000000")),
        "tampered payload": tampered,
        "another audience": await sign({ ...full, aud: "https://other.test" }),
        "another issuer": await sign({ ...full, iss: "https://other.test" }),
        "no jti": await sign({ ...full, jti: undefined }),
        "no exp": await sign({ ...full, exp: undefined }),
        "no sid": await sign({ ...full, sid: undefined }),
        "no typ": await new SignJWT(full).setProtectedHeader({ alg: "HS256", kid }).sign(key),
        "another typ": await sign(full, { typ: "JWT" }),
        "unknown kid": await sign(full, { kid: "nope" }),
        "key in the header (jwk)": await new SignJWT(full).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", jwk: attackerJwk }).sign(privateKey),
        "expired": await sign({ ...full, iat: now - 1000, exp: now - 100 }),
        "a refresh token": c.refreshToken,
        "garbage": "abc.def.ghi",
        "payload for an unknown family": await sign({ ...full, sid: "A".repeat(22) }),
      };
      for (const [name, token] of Object.entries(forged)) {
        const res = await request(t.app).get("/auth/me").set("Authorization", `Bearer ${token}`);
        expect(res.status, name).to.equal(401);
        expect(res.body.code, name).to.equal("UNAUTHENTICATED");
      }
      for (const header of [`Basic ${Buffer.from("a:b").toString("base64")}`, "Bearer", `bearer  ${c.accessToken}`, c.accessToken]) {
        expect((await request(t.app).get("/auth/me").set("Authorization", header)).status, header).to.equal(401);
      }
    });

    it("expires after 15 minutes (injected clock)", async () => {
      const t = await jwtApp();
      const { email } = await register(t.app);
      const c = await signIn(t.app, "jwt", email);
      t.clock.advance(899);
      expect(await c.meStatus()).to.equal(200);
      t.clock.advance(2);
      expect(await c.meStatus()).to.equal(401);
      expect((await c.refresh()).status, "the refresh token still works").to.equal(200);
      expect(await c.meStatus()).to.equal(200);
    });

    it("in RS256 mode refuses an HS256 token signed with the RSA public key (key confusion)", async () => {
      const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const t = await jwtApp({ jwt: { algorithm: "RS256", keys: [{ kid: "k1", privateKey, publicKey }] } });
      const { email, user } = await register(t.app);
      const c = await signIn(t.app, "jwt", email);
      expect(await c.meStatus()).to.equal(200);
      const real = decodeJwt(c.accessToken);
      const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
      const now = Math.floor(t.clock.now() / 1000);
      const confused = await new SignJWT({ sub: user.id, sid: real.sid, jti: "x" })
        .setProtectedHeader({ alg: "HS256", kid: "k1", typ: "at+jwt" })
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setIssuer(APP_URL)
        .setAudience(APP_URL)
        .sign(new TextEncoder().encode(pem));
      expect((await request(t.app).get("/auth/me").set("Authorization", `Bearer ${confused}`)).status).to.equal(401);
    });
  });

  describe("refresh tokens", () => {
    it("rotate: a new pair comes back; the old refresh token replayed after the grace window ends the family", async () => {
      const reuses: string[] = [];
      const t = await jwtApp({ hooks: { onRefreshReuse: (e: { userId: string }) => void reuses.push(e.userId) } });
      const { email, user } = await register(t.app);
      const c = await signIn(t.app, "jwt", email);
      const old = c.refreshToken;
      const oldAccess = c.accessToken;
      expect((await c.refresh()).status).to.equal(200);
      expect(c.refreshToken).to.not.equal(old);
      expect(c.accessToken).to.not.equal(oldAccess);
      t.clock.advance(11);
      const replay = await request(t.app).post("/auth/refresh").send({ refresh_token: old });
      expect(replay.status).to.equal(401);
      expect(replay.body.code).to.equal("INVALID_REFRESH_TOKEN");
      // The thief and the user are both out: the current pair of the family is dead too.
      expect(await c.meStatus()).to.equal(401);
      expect((await c.refresh()).body.code).to.equal("INVALID_REFRESH_TOKEN");
      expect(reuses).to.deep.equal([user.id]);
    });

    it("within the grace window, truly concurrent refreshes (two tabs) all get the same successor and stay signed in", async () => {
      const t = await jwtApp();
      const { email } = await register(t.app);
      const c = await signIn(t.app, "jwt", email);
      const answers = await Promise.all(Array.from({ length: 5 }, () => request(t.app).post("/auth/refresh").send({ refresh_token: c.refreshToken })));
      expect(answers.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
      const successors = new Set(answers.map((r) => r.body.refresh_token));
      expect(successors.size).to.equal(1);
      for (const r of answers) expect((await request(t.app).get("/auth/me").set("Authorization", `Bearer ${r.body.access_token}`)).status).to.equal(200);
      c.take(answers[0]!.body);
      expect((await c.refresh()).status, "the successor works").to.equal(200);
    });

    it("refuses garbage and other users' families (401 INVALID_REFRESH_TOKEN) and 422 for a missing token", async () => {
      const t = await jwtApp();
      const { email } = await register(t.app);
      await signIn(t.app, "jwt", email);
      for (const token of ["x", `${"a".repeat(22)}.${"b".repeat(22)}.${"c".repeat(43)}`]) {
        const res = await request(t.app).post("/auth/refresh").send({ refresh_token: token });
        expect(res.status).to.equal(401);
        expect(res.body.code).to.equal("INVALID_REFRESH_TOKEN");
      }
      expect((await request(t.app).post("/auth/refresh").send({})).status).to.equal(422);
      expect((await request(t.app).post("/auth/refresh").send({ refresh_token: ["a"] })).status).to.equal(422);
    });

    it("have an absolute lifetime of 30 days that rotation does not extend", async () => {
      const t = await jwtApp();
      const { email } = await register(t.app);
      const c = await signIn(t.app, "jwt", email);
      for (let day = 0; day < 28; day += 7) {
        t.clock.advance(7 * 86400);
        expect((await c.refresh()).status, `day ${day + 7}`).to.equal(200);
      }
      t.clock.advance(2 * 86400 + 1);
      expect((await c.refresh()).status).to.equal(401);
    });
  });

  it("logout ends the family: the access token is 401 at once, the refresh token is dead", async () => {
    const t = await jwtApp();
    const { email } = await register(t.app);
    const c = await signIn(t.app, "jwt", email);
    const other = await signIn(t.app, "jwt", email);
    expect((await c.post("/auth/logout").send({ refresh_token: c.refreshToken })).status).to.equal(204);
    expect(await c.meStatus()).to.equal(401);
    expect((await c.refresh()).body.code).to.equal("INVALID_REFRESH_TOKEN");
    expect(await other.meStatus(), "another device stays signed in").to.equal(200);
  });

  it("POST /token takes JSON or a form, with an optional grant_type=password, and answers RFC 6749 §5.2 errors", async () => {
    const t = await jwtApp();
    const { email } = await register(t.app);
    const json = await request(t.app).post("/auth/token").send({ username: email, password: PASSWORD, grant_type: "password" });
    expect(json.status).to.equal(200);
    expect(json.body).to.have.keys(["access_token", "refresh_token", "token_type", "expires_in"]);
    expect(json.headers["cache-control"]).to.equal("no-store");
    const form = await request(t.app).post("/auth/token").type("form").send({ username: email, password: PASSWORD });
    expect(form.status).to.equal(200);
    expect((await request(t.app).get("/auth/me").set("Authorization", `Bearer ${form.body.access_token}`)).status).to.equal(200);
    const wrong = await request(t.app).post("/auth/token").type("form").send({ username: email, password: "wrong password" });
    const unknown = await request(t.app).post("/auth/token").type("form").send({ username: "nobody@example.com", password: "wrong password" });
    expect(wrong.status).to.equal(400);
    expect(wrong.headers["content-type"]).to.match(/^application\/json/);
    expect(wrong.headers["cache-control"]).to.equal("no-store");
    expect(wrong.body).to.deep.equal(unknown.body);
    expect(wrong.body).to.include({ status: 400, code: "INVALID_CREDENTIALS", error: "invalid_grant" });
    expect(wrong.body.error_description).to.be.a("string");
    const grant = await request(t.app).post("/auth/token").send({ username: email, password: PASSWORD, grant_type: "client_credentials" });
    expect(grant.status).to.equal(400);
    expect(grant.body).to.include({ code: "VALIDATION_FAILED", error: "unsupported_grant_type" });
    expect(grant.body.errors[0].code).to.equal("UNSUPPORTED_GRANT_TYPE");
    const nested = await request(t.app).post("/auth/token").type("form").send("username[a]=b&password=x");
    expect(nested.status).to.equal(400);
    expect(nested.body.error).to.equal("invalid_request");
    const missing = await request(t.app).post("/auth/token").type("form").send({ grant_type: "refresh_token" });
    expect(missing.body).to.include({ status: 400, error: "invalid_request" });
    const media = await request(t.app).post("/auth/token").set("Content-Type", "text/plain").send("x");
    expect(media.status).to.equal(415);
    expect(media.body.error).to.equal("invalid_request");
    // Express matches /TOKEN/ too: it answers the same RFC 6749 form.
    const odd = await request(t.app).post("/auth/TOKEN/").type("form").send({ username: email, password: "wrong password" });
    expect(odd.body).to.include({ status: 400, error: "invalid_grant" });
  });

  it("POST /token with grant_type=refresh_token rotates like /refresh; a used or made-up one is 400 invalid_grant", async () => {
    const t = await jwtApp();
    const { email } = await register(t.app);
    const first = (await request(t.app).post("/auth/token").type("form").send({ username: email, password: PASSWORD })).body;
    const next = await request(t.app).post("/auth/token").type("form").send({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(next.status).to.equal(200);
    expect(next.body).to.have.keys(["access_token", "refresh_token", "token_type", "expires_in"]);
    expect(next.body.refresh_token).not.to.equal(first.refresh_token);
    t.clock.advance(60);
    const replay = await request(t.app).post("/auth/token").type("form").send({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(replay.body).to.include({ status: 400, code: "INVALID_REFRESH_TOKEN", error: "invalid_grant" });
    // The replay ended the family: its newest token is dead too.
    const after = await request(t.app).post("/auth/token").send({ grant_type: "refresh_token", refresh_token: next.body.refresh_token });
    expect(after.body.error).to.equal("invalid_grant");
    const form = await request(t.app).post("/auth/refresh").type("form").send({ refresh_token: "made.up.token" });
    expect(form.status, "POST /refresh takes a form too").to.equal(401);
  });

  it("POST /revoke (RFC 7009) ends a refresh token's family or an access token's; 200 whether or not it was live", async () => {
    const t = await jwtApp();
    const { email } = await register(t.app);
    const a = await signIn(t.app, "jwt", email);
    const b = await signIn(t.app, "jwt", email);
    const revoke = (body: Record<string, string>) => request(t.app).post("/auth/revoke").type("form").send(body);
    const byRefresh = await revoke({ token: a.refreshToken, token_type_hint: "refresh_token" });
    expect(byRefresh.status).to.equal(200);
    expect(byRefresh.headers["cache-control"]).to.equal("no-store");
    expect(await a.meStatus(), "the family's access token is dead too").to.equal(401);
    expect((await a.refresh()).status).to.equal(401);
    expect(await b.meStatus(), "another device stays").to.equal(200);
    expect((await revoke({ token: a.refreshToken })).status, "again: still 200").to.equal(200);
    expect((await request(t.app).post("/auth/revoke").send({ token: b.accessToken, token_type_hint: "refresh_token" })).status).to.equal(200);
    expect(await b.meStatus(), "an access token ends its family").to.equal(401);
    expect((await b.refresh()).status).to.equal(401);
    expect((await revoke({ token: "not-a-token" })).status).to.equal(200);
    const missing = await revoke({});
    expect(missing.body).to.include({ status: 400, error: "invalid_request" });
    // A made-up refresh token of the right shape (the user's id, a guessed family) ends nothing.
    const c = await signIn(t.app, "jwt", email);
    const [uid] = c.refreshToken.split(".");
    expect((await revoke({ token: `${uid}.${"B".repeat(22)}.${"A".repeat(43)}` })).status).to.equal(200);
    expect(await c.meStatus()).to.equal(200);
  });

  it("a 401 to a bearer request carries WWW-Authenticate: Bearer (RFC 6750 §3), with invalid_token when a token was sent", async () => {
    const t = await jwtApp();
    for (const path of ["/auth/me", "/api/profile"]) {
      const none = await request(t.app).get(path);
      expect(none.status).to.equal(401);
      expect(none.headers["www-authenticate"]).to.equal("Bearer");
      const bad = await request(t.app).get(path).set("Authorization", "Bearer not.a.jwt");
      expect(bad.status).to.equal(401);
      expect(bad.headers["www-authenticate"]).to.match(/^Bearer error="invalid_token"/);
    }
    const session = await makeApp();
    expect((await request(session.app).get("/api/profile")).headers["www-authenticate"], "a cookie request gets no bearer challenge").to.equal(undefined);
    const bearer = await request(session.app).get("/api/profile").set("Authorization", "Bearer abc");
    expect(bearer.headers["www-authenticate"]).to.match(/^Bearer error="invalid_token"/);
  });

  describe("keys", () => {
    it("RS256 and EdDSA: tokens verify, the JWKS serves the public keys with their kid", async () => {
      for (const type of ["rsa", "ed25519"] as const) {
        const pair = type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ed25519");
        const algorithm = type === "rsa" ? "RS256" : "EdDSA";
        const t = await jwtApp({ jwt: { algorithm, keys: [{ kid: `${type}-1`, ...pair }] } });
        const { email } = await register(t.app);
        const c = await signIn(t.app, "jwt", email);
        expect(await c.meStatus(), algorithm).to.equal(200);
        const jwks = await request(t.app).get("/auth/.well-known/jwks.json");
        expect(jwks.status).to.equal(200);
        expect(jwks.body.keys).to.have.length(1);
        expect(jwks.body.keys[0]).to.include({ kid: `${type}-1`, alg: algorithm, use: "sig" });
        expect(jwks.body.keys[0]).to.not.have.property("d");
      }
      const hs = await jwtApp();
      expect((await request(hs.app).get("/auth/.well-known/jwks.json")).status, "no public keys with HS256").to.equal(404);
    });

    it("rotation: tokens of an old key verify while it is listed, and stop when it is removed", async () => {
      const a = generateKeyPairSync("ed25519");
      const b = generateKeyPairSync("ed25519");
      const t1 = await jwtApp({ jwt: { algorithm: "EdDSA", keys: [{ kid: "a", ...a }] } });
      const { email } = await register(t1.app);
      const c = await signIn(t1.app, "jwt", email);
      // The same Redis and prefix, a new key first: what a deploy with a rotated key looks like.
      const same = { redis: t1.redis, storage: { keyPrefix: t1.prefix }, now: t1.clock.now };
      const t2 = await jwtApp({ ...same, jwt: { algorithm: "EdDSA", keys: [{ kid: "b", ...b }, { kid: "a", publicKey: a.publicKey }] } });
      expect((await request(t2.app).get("/auth/me").set("Authorization", `Bearer ${c.accessToken}`)).status).to.equal(200);
      const fresh = await request(t2.app).post("/auth/refresh").send({ refresh_token: c.refreshToken });
      expect(JSON.parse(Buffer.from(fresh.body.access_token.split(".")[0], "base64url").toString()).kid).to.equal("b");
      expect((await request(t2.app).get("/auth/.well-known/jwks.json")).body.keys.map((k: { kid: string }) => k.kid)).to.deep.equal(["b", "a"]);
      const t3 = await jwtApp({ ...same, jwt: { algorithm: "EdDSA", keys: [{ kid: "b", ...b }] } });
      expect((await request(t3.app).get("/auth/me").set("Authorization", `Bearer ${c.accessToken}`)).status).to.equal(401);
      expect((await request(t3.app).get("/auth/me").set("Authorization", `Bearer ${fresh.body.access_token}`)).status).to.equal(200);
    });

    it("misconfigured keys are a TypeError at startup", async () => {
      const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const bad = [
        { algorithm: "RS256" },
        { algorithm: "RS256", keys: [{ kid: "x", ...generateKeyPairSync("ed25519") }] },
        { algorithm: "RS256", keys: [{ kid: "x", publicKey: rsa.publicKey }] },
        { algorithm: "RS256", keys: [{ kid: "x", privateKey: "not a pem", publicKey: rsa.publicKey }] },
        { algorithm: "HS256", keys: [{ kid: "x", ...rsa }] },
        { algorithm: "none" },
      ];
      for (const jwt of bad) {
        let error: unknown;
        try {
          await jwtApp({ jwt });
        } catch (err) {
          error = err;
        }
        expect(error, JSON.stringify(jwt.algorithm)).to.be.instanceOf(TypeError);
      }
    });
  });

  it("a protected request costs one Redis round trip in both modes", async () => {
    for (const mode of ["session", "jwt"] as const) {
      const counted = new Set(["get", "hgetall", "set", "expire", "hget", "exists", "eval", "evalsha", "zadd", "multi", "del"]);
      let calls = 0;
      const t0 = await makeApp({ mode });
      const proxy = new Proxy(t0.redis, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof prop === "string" && counted.has(prop) && typeof value === "function") {
            return (...args: unknown[]) => {
              calls++;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          return value;
        },
      });
      const t = await makeApp({ mode, redis: proxy });
      const { email } = await register(t.app);
      const c = await signIn(t.app, mode, email);
      // Scripts cached: a script's first run on a fresh Redis is EVALSHA, then EVAL.
      expect((await c.get("/api/profile")).status).to.equal(200);
      calls = 0;
      expect((await c.get("/api/profile")).status).to.equal(200);
      expect(calls, mode).to.equal(1);
    }
  });
});
