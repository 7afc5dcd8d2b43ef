import { expect } from "chai";
import request from "supertest";
import { makeApp, register, sharedTestRedis } from "../helpers/app.js";
import { MODES } from "../helpers/client.js";
import { MemoryUserStore } from "../../lib/adapters/memory-user-store.js";
import { countCommands } from "../helpers/redis.js";
import { settle } from "../helpers/smtp.js";

for (const mode of MODES) {
  describe(`[${mode}] forgot-password: the same store reads for a known and an unknown email`, () => {
    it("Redis user store: the same commands up to the answer", async function () {
      // With GATEHOUSE_TEST_USERS the users live in SQL: there is no Redis user store to count.
      if (process.env.GATEHOUSE_TEST_USERS) this.skip();
      const redis = (await sharedTestRedis()).client();
      // No mailer: nothing is issued after the answer, so only the lookup is counted.
      const t = await makeApp({ mode, redis });
      const { email } = await register(t.app, `known.${mode}.reads@example.com`);
      const counter = countCommands(redis);
      const ask = async (address: string) => {
        const before = counter.count();
        expect((await request(t.app).post("/auth/forgot-password").send({ email: address })).status).to.equal(202);
        await settle(50);
        return counter.commands.slice(before).filter((c) => c === "get" || c === "hgetall");
      };
      await ask(`warm.${mode}.reads@example.com`);
      const known = await ask(email);
      const unknown = await ask(`nobody.${mode}.reads@example.com`);
      expect(unknown, `${known.join(" ")} / ${unknown.join(" ")}`).to.deep.equal(known);
      // On a Cluster the limits of one attempt sit in different slots: each is read before any is counted.
      const limitReads = process.env.GATEHOUSE_TEST_REDIS === "cluster" ? ["get", "get"] : [];
      expect(known).to.deep.equal([...limitReads, "get", "hgetall"]);
    });

    it("memory user store: the same store calls", async () => {
      const store = new MemoryUserStore();
      const t = await makeApp({ mode, storage: { inMemory: true, users: store } });
      const { email } = await register(t.app, `known.${mode}.mem@example.com`);
      const calls: string[] = [];
      for (const name of ["findById", "findByEmail"] as const) {
        const original = store[name].bind(store);
        store[name] = (arg: string) => {
          calls.push(name);
          return original(arg);
        };
      }
      await request(t.app).post("/auth/forgot-password").send({ email });
      const known = calls.splice(0);
      await request(t.app).post("/auth/forgot-password").send({ email: `nobody.${mode}.mem@example.com` });
      expect(calls).to.deep.equal(known);
    });
  });
}
