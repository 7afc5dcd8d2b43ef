import { expect } from "chai";
import request from "supertest";
import { makeApp, register } from "../helpers/app.js";
import { Argon2Hasher } from "../../lib/adapters/argon2-hasher.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Wall-clock parity of login answers with the real argon2id parameters (m=19456, t=2, p=1).
 * The hash-count spec (accounts.spec.ts) is the exact check; this one shows the dummy hash does
 * its job in real time. Samples are interleaved so drift of the machine hits both sides alike.
 */
describe("login timing (slow: real argon2 parameters)", function () {
  this.timeout(60000);

  for (const mode of ["session", "jwt"] as const) {
    it(`[${mode}] an unknown email and a wrong password take the same time (medians within 20%)`, async () => {
      const t = await makeApp({ mode, rateLimits: false, hashing: { hasher: new Argon2Hasher() } });
      const { email } = await register(t.app);
      const time = async (address: string) => {
        const started = process.hrtime.bigint();
        const res = await request(t.app).post("/auth/login").send({ email: address, password: "not the password at all" });
        expect(res.status).to.equal(401);
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      await time(email); // warm up (and build the dummy hash)
      await time("nobody@example.com");
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 15; i++) {
        known.push(await time(email));
        unknown.push(await time(`nobody${i}@example.com`));
      }
      const [mk, mu] = [median(known), median(unknown)];
      expect(mk, "a real verification happened").to.be.greaterThan(5);
      expect(Math.abs(mk - mu) / Math.max(mk, mu), `known ${mk.toFixed(1)} ms vs unknown ${mu.toFixed(1)} ms`).to.be.below(0.2);
    });
  }
});
