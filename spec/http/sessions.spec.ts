import { expect } from "chai";
import request from "supertest";
import { makeApp, register, sessionCookie, sessionIdOf, PASSWORD } from "../helpers/app.js";
import { Client, MODES, signIn } from "../helpers/client.js";

type Listed = { id: string; createdAt: string; lastSeenAt: string; ip: string; userAgent: string | null; current: boolean };

for (const mode of MODES) {
  // JWT mode: the "sessions" are the user's refresh-token families, in the same shape.
  describe(`[${mode}] session management`, () => {
    const app = (overrides = {}) => makeApp({ mode, ...overrides });

    /** The server-side id the client's credential points at: the session id, or the family id. */
    const secretId = (c: Client) => (mode === "session" ? sessionIdOf(c.cookie) : c.refreshToken.split(".")[1]!);

    it("GET /sessions lists the user's live sessions with opaque handles, metadata and `current`", async () => {
      const t = await app();
      const { email } = await register(t.app);
      const a = await signIn(t.app, mode, email);
      t.clock.advance(5);
      const b = new Client(t.app, mode);
      const rb = await b.agent.post("/auth/login").set("User-Agent", "Browser B").send({ email, password: PASSWORD });
      expect(rb.status).to.equal(200);
      b.take(rb.body);
      if (mode === "session") b.cookie = sessionCookie(rb)!;
      const res = await a.get("/auth/sessions");
      expect(res.status).to.equal(200);
      const list = res.body.sessions as Listed[];
      expect(list).to.have.length(2);
      for (const s of list) expect(s).to.have.keys(["id", "createdAt", "lastSeenAt", "ip", "userAgent", "current"]);
      expect(list.filter((s) => s.current)).to.have.length(1);
      expect(list[0]!.userAgent, "newest first").to.equal("Browser B");
      expect(list[0]!.current).to.equal(false);
      expect(list[1]!.current).to.equal(true);
      const fromB = (await b.get("/auth/sessions")).body.sessions as Listed[];
      expect(fromB.find((s) => s.current)!.id, "`current` follows the caller").to.equal(list[0]!.id);
      const idA = secretId(a);
      expect(idA).to.have.length.greaterThan(10);
      expect(JSON.stringify(res.body)).to.not.contain(idA);
      expect(JSON.stringify(res.body)).to.not.contain(secretId(b));
      expect(list[0]!.ip).to.match(/127\.0\.0\.1/);
    });

    it("DELETE /sessions/:id ends that session; another user's handle is 404", async () => {
      const t = await app();
      const { email } = await register(t.app);
      const a = await signIn(t.app, mode, email);
      const b = await signIn(t.app, mode, email);
      const other = await signIn(t.app, mode, (await register(t.app)).email);
      const otherHandle = (await other.get("/auth/sessions")).body.sessions[0].id;
      const mine = (await a.get("/auth/sessions")).body.sessions as Listed[];
      const bHandle = mine.find((s) => !s.current)!.id;
      const foreign = await a.delete(`/auth/sessions/${otherHandle}`);
      expect(foreign.status).to.equal(404);
      expect(foreign.body.code).to.equal("NOT_FOUND");
      expect(await other.meStatus(), "the other user's session is untouched").to.equal(200);
      if (mode === "session") expect((await a.agent.delete(`/auth/sessions/${bHandle}`)).status, "needs CSRF").to.equal(403);
      expect(await b.meStatus(), "nothing happened yet").to.equal(200);
      expect((await a.delete(`/auth/sessions/${bHandle}`)).status).to.equal(204);
      expect(await b.meStatus()).to.equal(401);
      if (mode === "jwt") expect((await b.refresh()).body.code, "the family's refresh token is dead").to.equal("INVALID_REFRESH_TOKEN");
      expect(await a.meStatus()).to.equal(200);
      expect((await a.get("/auth/sessions")).body.sessions).to.have.length(1);
    });

    it("DELETE /sessions ends every session but the current one", async () => {
      const t = await app();
      const { email } = await register(t.app);
      const a = await signIn(t.app, mode, email);
      const others = await Promise.all([signIn(t.app, mode, email), signIn(t.app, mode, email), signIn(t.app, mode, email)]);
      for (const o of others) expect((await o.get("/api/profile")).status).to.equal(200);
      expect((await a.delete("/auth/sessions")).status).to.equal(204);
      // JWT: the access tokens are 401 at once, not at their expiry.
      for (const o of others) expect((await o.get("/api/profile")).status).to.equal(401);
      if (mode === "jwt") for (const o of others) expect((await o.refresh()).body.code).to.equal("INVALID_REFRESH_TOKEN");
      expect((await a.get("/api/profile")).status).to.equal(200);
      expect((await a.get("/auth/sessions")).body.sessions).to.have.length(1);
    });

    if (mode === "session") {
      it("expired sessions never appear, and the index does not keep them", async () => {
        const t = await app({ session: { idleTimeout: 600, absoluteTimeout: 3600 } });
        const { email, user } = await register(t.app);
        const old = await signIn(t.app, mode, email);
        t.clock.advance(601); // `old` is idle-expired now
        const fresh = await signIn(t.app, mode, email);
        const list = (await fresh.get("/auth/sessions")).body.sessions;
        expect(list).to.have.length(1);
        expect(list[0].current).to.equal(true);
        expect(await old.meStatus()).to.equal(401);
        t.clock.advance(3601); // past every absolute deadline: a new sign-in trims the index
        await signIn(t.app, mode, email);
        expect(await t.redis.zcard(`${t.prefix}{u:${user.id}}:sessions`)).to.equal(1);
      });
    } else {
      it("expired families never appear, and the index does not keep them", async () => {
        const t = await app({ jwt: { refreshTtl: 3600 } });
        const { email, user } = await register(t.app);
        const old = await signIn(t.app, mode, email);
        t.clock.advance(3601); // `old` is past its absolute lifetime now
        const fresh = await signIn(t.app, mode, email);
        const list = (await fresh.get("/auth/sessions")).body.sessions;
        expect(list).to.have.length(1);
        expect(list[0].current).to.equal(true);
        expect(await t.redis.zcard(`${t.prefix}{u:${user.id}}:families`), "the new sign-in trimmed the index").to.equal(1);
        expect((await old.refresh()).body.code).to.equal("INVALID_REFRESH_TOKEN");
      });
    }

    it("needs credentials (401)", async () => {
      const t = await app();
      expect((await request(t.app).get("/auth/sessions")).status).to.equal(401);
      expect((await request(t.app).delete("/auth/sessions")).status).to.equal(401);
      expect((await request(t.app).delete("/auth/sessions/abc")).status).to.equal(401);
    });
  });
}
