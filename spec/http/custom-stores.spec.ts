import { expect } from "chai";
import request from "supertest";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { MemoryTokenStore } from "../../lib/adapters/memory-token-store.js";
import type { UserStore } from "../../lib/ports/user-store.js";
import type { TokenStore } from "../../lib/ports/token-store.js";
import { makeApp, register, PASSWORD, fastHasher } from "../helpers/app.js";
import { MODES, signIn } from "../helpers/client.js";

/** A store of the app's own that fails the way real ones do: a plain Error, or no answer at all. */
function breakable<T extends object>(inner: T): { store: T; fail: (how: "reject" | "throw" | "hang" | null) => void } {
  let how: "reject" | "throw" | "hang" | null = null;
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (how === "reject") return Promise.reject(new Error("ECONNRESET: the database went away"));
        if (how === "throw") throw new Error("the driver threw synchronously");
        if (how === "hang") return new Promise(() => {});
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, fail: (h) => (how = h) };
}

for (const mode of MODES) {
  describe(`[${mode}] stores the app plugs in fail closed`, () => {
    for (const how of ["reject", "throw", "hang"] as const) {
      it(`a user store that ${how}s answers 503 SERVICE_UNAVAILABLE, never 500, and logs the cause`, async () => {
        const users = breakable<UserStore>(new MemoryUserStore());
        const logged: unknown[] = [];
        const t = await makeApp({ mode, storage: { users: users.store, timeoutMs: 300 }, logger: { warn: () => {}, error: (_m, d) => logged.push(d) } });
        const { email } = await register(t.app);
        const client = await signIn(t.app, mode, email);
        users.fail(how);
        const started = Date.now();
        const login = await request(t.app).post("/auth/login").send({ email, password: PASSWORD });
        expect(login.status).to.equal(503);
        expect(login.body.code).to.equal("SERVICE_UNAVAILABLE");
        expect(login.headers["retry-after"]).to.equal("1");
        expect(Date.now() - started).to.be.lessThan(2000);
        expect((await request(t.app).post("/auth/register").send({ email: "new@example.com", password: PASSWORD })).status).to.equal(503);
        expect((await request(t.app).post("/auth/forgot-password").send({ email })).status).to.equal(503);
        expect((await client.post("/auth/account/change-password").send({ currentPassword: PASSWORD, newPassword: "another pass phrase" })).status).to.equal(503);
        expect(logged.length).to.be.greaterThan(0);
        users.fail(null);
        expect((await request(t.app).post("/auth/login").send({ email, password: PASSWORD })).status).to.equal(200);
      });
    }

    it("a token store that rejects answers 503 on every emailed-token endpoint", async () => {
      const tokens = breakable<TokenStore>(new MemoryTokenStore());
      const t = await makeApp({ mode, storage: { tokens: tokens.store } });
      tokens.fail("reject");
      const token = `someUserId.${"A".repeat(43)}`;
      for (const [path, body] of [
        ["/auth/verify-email", { token }],
        ["/auth/forgot-password/validate", { token }],
        ["/auth/reset-password", { token, password: "a new pass phrase" }],
        ["/auth/account/confirm-email-change", { token }],
      ] as const) {
        const res = await request(t.app).post(path).send(body);
        expect(res.status, path).to.equal(503);
      }
    });

    it("a hasher of the app's own that rejects answers 503", async () => {
      const inner = fastHasher();
      let broken = false;
      const hasher = {
        name: "custom",
        hash: (p: string) => (broken ? Promise.reject(new Error("KMS unreachable")) : inner.hash(p)),
        verify: (h: string, p: string) => (broken ? Promise.reject(new Error("KMS unreachable")) : inner.verify(h, p)),
        recognizes: (h: string) => inner.recognizes(h),
        needsRehash: (h: string) => inner.needsRehash(h),
      };
      const t = await makeApp({ mode, hashing: { hasher } });
      const { email } = await register(t.app);
      broken = true;
      const res = await request(t.app).post("/auth/login").send({ email, password: PASSWORD });
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal("SERVICE_UNAVAILABLE");
    });
  });
}
