import { expect } from "chai";
import { createHmac } from "node:crypto";
import request from "supertest";
import { SignJWT, decodeJwt } from "jose";
import { RedisCredentialStore } from "../../lib/adapters/redis-credential-store.js";
import { passwordFingerprint } from "../../lib/core/email-tokens.js";
import { makeApp, register, PASSWORD, APP_URL, SECRET, type TestApp } from "../helpers/app.js";
import { signIn, type Client } from "../helpers/client.js";

/**
 * JWT mode on the credential record (API.md, "Fresh and final" and "JWT"): every family is
 * checked against the user's record on each use, refresh tokens carry a MAC checked before
 * reuse detection, access tokens cannot grant themselves a long life, families are capped.
 */
describe("JWT mode: fresh and final", () => {
  const reuses: string[] = [];
  let t: TestApp;
  let record: RedisCredentialStore;
  beforeEach(async () => {
    reuses.length = 0;
    t = await makeApp({ mode: "jwt", rateLimits: false, hooks: { onRefreshReuse: (e: { userId: string }) => void reuses.push(e.userId) } });
    record = new RedisCredentialStore(t.redis, { keyPrefix: t.prefix, tombstoneTtl: 30 * 86400 });
  });

  const refreshWith = (token: string) => request(t.app).post("/auth/refresh").send({ refresh_token: token });
  const me = (accessToken: string) => request(t.app).get("/auth/me").set("Authorization", `Bearer ${accessToken}`);

  describe("made-up refresh tokens", () => {
    it("a token with a real family's ids and a wrong MAC is refused everywhere, and the family lives on with no replay reported", async () => {
      const { email, user } = await register(t.app);
      const c = await signIn(t.app, "jwt", email);
      const [uid, fid, n, mac] = c.refreshToken.split(".") as [string, string, string, string];
      expect(uid).to.equal(user.id);
      const forged = [`${uid}.${fid}.${n}.${"A".repeat(43)}`, `${uid}.${fid}.${Number(n) + 1}.${mac}`, `${uid}.${fid}.${mac}`];
      for (const token of forged) {
        const res = await refreshWith(token);
        expect(res.status, token).to.equal(401);
        expect(res.body.code).to.equal("INVALID_REFRESH_TOKEN");
        const grant = await request(t.app).post("/auth/token").type("form").send({ grant_type: "refresh_token", refresh_token: token });
        expect(grant.status).to.equal(400);
        expect(grant.body.error).to.equal("invalid_grant");
        expect((await request(t.app).post("/auth/revoke").type("form").send({ token, token_type_hint: "refresh_token" })).status).to.equal(200);
      }
      expect(reuses, "nothing real was replayed").to.deep.equal([]);
      expect(await c.meStatus(), "the family's access token still works").to.equal(200);
      expect((await c.refresh()).status, "and its refresh token").to.equal(200);
      expect(await c.meStatus()).to.equal(200);
    });

    it("two tabs within the grace window get the same successor; a replay after it ends the family", async () => {
      const { email, user } = await register(t.app);
      const c = await signIn(t.app, "jwt", email);
      const first = c.refreshToken;
      const [a, b] = await Promise.all([refreshWith(first), refreshWith(first)]);
      expect([a.status, b.status]).to.deep.equal([200, 200]);
      expect(a.body.refresh_token).to.equal(b.body.refresh_token);
      c.take(a.body);
      expect((await c.refresh()).status).to.equal(200);
      t.clock.advance(11);
      expect((await refreshWith(first)).status).to.equal(401);
      expect(reuses).to.deep.equal([user.id]);
      expect(await c.meStatus(), "the replay ended the family").to.equal(401);
      expect((await c.refresh()).status).to.equal(401);
    });
  });

  it("an access token signed with the real key but living longer than the access TTL is 401", async () => {
    const { email, user } = await register(t.app);
    const c = await signIn(t.app, "jwt", email);
    const real = decodeJwt(c.accessToken);
    const kid = JSON.parse(Buffer.from(c.accessToken.split(".")[0]!, "base64url").toString()).kid as string;
    const key = new Uint8Array(createHmac("sha256", SECRET).update("gatehouse/jwt/hs256").digest());
    const now = Math.floor(t.clock.now() / 1000);
    const sign = (iat: number, exp: number) =>
      new SignJWT({ sid: real.sid, sub: user.id, jti: "j", iat, exp, iss: APP_URL, aud: APP_URL }).setProtectedHeader({ alg: "HS256", kid, typ: "at+jwt" }).sign(key);
    expect((await me(await sign(now, now + 900))).status, "the control: the TTL itself is fine").to.equal(200);
    expect((await me(await sign(now, now + 10 * 365 * 86400))).status, "ten years").to.equal(401);
    expect((await me(await sign(now, now + 901))).status, "one second too long").to.equal(401);
    expect((await me(await sign(now + 86400, now + 86400 + 600))).status, "dated ahead").to.equal(401);
  });

  it("keeps at most 50 families per user: 60 sign-ins leave 50, the oldest gone with its access tokens", async () => {
    const { email } = await register(t.app);
    const clients: Client[] = [];
    for (let i = 0; i < 60; i++) {
      clients.push(await signIn(t.app, "jwt", email));
      t.clock.advance(1);
    }
    const families = await t.redis.zcard(`${t.prefix}{u:${decodeJwt(clients[0]!.accessToken).sub}}:families`);
    expect(families).to.equal(50);
    const statuses = await Promise.all(clients.map((c) => c.meStatus()));
    expect(statuses.slice(0, 10), "the ten oldest ended").to.deep.equal(Array(10).fill(401));
    expect(statuses.slice(10), "the fifty newest live").to.deep.equal(Array(50).fill(200));
    expect((await clients[0]!.refresh()).status).to.equal(401);
    expect((await clients[59]!.get("/auth/sessions")).body.sessions).to.have.length(50);
  });

  it("a bump of the record's epoch (revoke all) ends every family at its next request, however it rotates", async () => {
    const { email, user } = await register(t.app);
    const a = await signIn(t.app, "jwt", email);
    const b = await signIn(t.app, "jwt", email);
    expect((await b.refresh()).status).to.equal(200);
    await record.commit(user.id, { revoke: true });
    expect(await a.meStatus()).to.equal(401);
    expect(await b.meStatus()).to.equal(401);
    expect((await a.refresh()).body.code).to.equal("INVALID_REFRESH_TOKEN");
    expect((await b.refresh()).body.code).to.equal("INVALID_REFRESH_TOKEN");
    expect(reuses, "a revoked family is no replay").to.deep.equal([]);
    const c = await signIn(t.app, "jwt", email);
    expect(await c.meStatus(), "a new sign-in begins in the new epoch").to.equal(200);
  });

  it("a change of the record's user copy is seen by the next request of every access token", async () => {
    const { email, user } = await register(t.app);
    const a = await signIn(t.app, "jwt", email);
    const b = await signIn(t.app, "jwt", email);
    const now = (await a.get("/auth/me")).body.user as Record<string, unknown>;
    const changed = { ...now, name: "Renamed Elsewhere", emailVerified: true };
    await record.commit(user.id, { user: { json: JSON.stringify(changed), at: t.clock.now() + 1 } });
    for (const c of [a, b]) {
      expect((await c.get("/auth/me")).body.user).to.deep.equal(changed);
      expect((await c.get("/api/profile")).body.user).to.deep.equal(changed);
    }
    await record.commit(user.id, { user: { json: JSON.stringify(now), at: 0 } });
    expect((await a.get("/auth/me")).body.user.name, "an older copy never replaces a newer one").to.equal("Renamed Elsewhere");
    expect((await a.refresh()).status).to.equal(200);
    expect((await a.get("/auth/me")).body.user.name).to.equal("Renamed Elsewhere");
  });

  it("a sign-in whose verified hash is no longer the record's begins no family (compare-and-create)", async () => {
    const { email, user } = await register(t.app);
    await signIn(t.app, "jwt", email);
    // As if a reset committed while this sign-in was still hashing the old password.
    await record.commit(user.id, { pwd: passwordFingerprint("$argon2id$v=19$a-hash-of-another-password") });
    const res = await request(t.app).post("/auth/login").send({ email, password: PASSWORD });
    expect(res.status).to.equal(401);
    expect(res.body.code).to.equal("INVALID_CREDENTIALS");
    const token = await request(t.app).post("/auth/token").send({ username: email, password: PASSWORD });
    expect(token.body.error).to.equal("invalid_grant");
  });
});
