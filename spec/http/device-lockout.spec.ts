import { expect } from "chai";
import request from "supertest";
import { makeApp, register, PASSWORD, type TestApp } from "../helpers/app.js";
import { MODES, type Mode } from "../helpers/client.js";

/** The device credential a successful login handed out: the device cookie (session), or `device_token` (jwt). */
function deviceOf(mode: Mode, res: { headers: Record<string, unknown>; body: Record<string, unknown> }): string {
  if (mode === "jwt") return res.body.device_token as string;
  const cookies = (res.headers["set-cookie"] as string[] | undefined) ?? [];
  const hit = cookies.find((c) => c.startsWith("gh.dev."));
  if (!hit) throw new Error(`no device cookie in ${cookies.join(" | ")}`);
  expect(hit).to.match(/HttpOnly/i);
  expect(hit).to.match(/SameSite=Lax/i);
  return hit.split(";")[0]!;
}

for (const mode of MODES) {
  describe(`[${mode}] lockout an attacker cannot aim at the owner (device credentials)`, () => {
    const app = () => makeApp({ mode }, (a) => a.set("trust proxy", true));
    const from = (t: TestApp, ip: string) => request(t.app).post("/auth/login").set("X-Forwarded-For", ip);
    /** A login from `ip` presenting `device` (or none). */
    const login = (t: TestApp, ip: string, email: string, password: string, device?: string) => {
      const q = from(t, ip);
      if (device && mode === "session") q.set("Cookie", device);
      return q.send(mode === "jwt" && device ? { email, password, device_token: device } : { email, password });
    };

    it("20 addresses x 5 wrong guesses: the owner's trusted browser signs in at once; a new client is locked", async () => {
      const t = await app();
      const { email } = await register(t.app, `owner.${mode}.device@example.com`);
      const first = await login(t, "198.51.100.7", email, PASSWORD);
      expect(first.status).to.equal(200);
      const device = deviceOf(mode, first);

      for (let a = 0; a < 20; a++) {
        for (let g = 0; g < 5; g++) {
          const res = await login(t, `203.0.113.${a + 1}`, email, `wrong guess ${g}`);
          expect(res.status, `address ${a}, guess ${g}`).to.equal(401);
        }
      }
      const stranger = await login(t, "192.0.2.99", email, PASSWORD);
      expect(stranger.status, "an untrusted client is locked by the account ceiling").to.equal(429);
      expect(stranger.headers["retry-after"]).to.match(/^\d+$/);
      const owner = await login(t, "198.51.100.7", email, PASSWORD, device);
      expect(owner.status, "the owner's trusted browser is not").to.equal(200);
      // The owner on the road: another network, the same browser.
      expect((await login(t, "192.0.2.200", email, PASSWORD, device)).status).to.equal(200);
    });

    it("wrong guesses with a device credential lock only that credential", async () => {
      const t = await app();
      const { email } = await register(t.app, `stolen.${mode}.device@example.com`);
      const one = deviceOf(mode, await login(t, "198.51.100.8", email, PASSWORD));
      const other = deviceOf(mode, await login(t, "198.51.100.9", email, PASSWORD));
      for (let g = 0; g < 10; g++) expect((await login(t, "198.51.100.8", email, `wrong ${g}`, one)).status).to.equal(401);
      expect((await login(t, "198.51.100.8", email, PASSWORD, one)).status, "that credential is locked").to.equal(429);
      expect((await login(t, "198.51.100.9", email, PASSWORD, other)).status, "another trusted browser is not").to.equal(200);
      expect((await login(t, "192.0.2.10", email, PASSWORD)).status, "nor are untrusted clients (the account was not charged)").to.equal(200);
    });

    it("a credential of another account, a forged one or an expired one counts as none", async () => {
      const t = await app();
      const a = await register(t.app, `a.${mode}.device@example.com`);
      const b = await register(t.app, `b.${mode}.device@example.com`);
      const ofA = deviceOf(mode, await login(t, "198.51.100.10", a.email, PASSWORD));
      // Session mode: the cookie is named per account, so A's cookie is not even read for B.
      const forged = mode === "jwt" ? `${"A".repeat(22)}.9999999999.${"B".repeat(43)}` : ofA.replace(/=.*/, `=${"A".repeat(22)}.9999999999.${"B".repeat(43)}`);
      for (let g = 0; g < 5; g++) expect((await login(t, "198.51.100.10", b.email, `wrong ${g}`, ofA)).status).to.equal(401);
      expect((await login(t, "198.51.100.10", b.email, PASSWORD, ofA)).status, "the pair lock applies").to.equal(429);
      for (let g = 0; g < 5; g++) expect((await login(t, "198.51.100.11", a.email, `wrong ${g}`, forged)).status).to.equal(401);
      expect((await login(t, "198.51.100.11", a.email, PASSWORD, forged)).status).to.equal(429);
      t.clock.advance(181 * 24 * 3600);
      for (let g = 0; g < 5; g++) expect((await login(t, "198.51.100.12", a.email, `wrong ${g}`, ofA)).status).to.equal(401);
      expect((await login(t, "198.51.100.12", a.email, PASSWORD, ofA)).status, "expired").to.equal(429);
    });
  });
}
