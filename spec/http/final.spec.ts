import { expect } from "chai";
import { Redis } from "ioredis";
import request from "supertest";
import { devMailer, type OutboxMailer } from "../../lib/dev/outbox-mailer.js";
import { makeApp, register, PASSWORD, type TestApp } from "../helpers/app.js";
import { Client, MODES, signIn, type Mode } from "../helpers/client.js";
import { NEW_PASSWORD } from "../helpers/core.js";
import { countCommands, FAIL_FAST, OwnRedis, waitForPing } from "../helpers/redis.js";
import { TcpProxy } from "../helpers/sql.js";

/** "Fresh and final" (API.md): races, freshness and faults of revocation, in both modes. */

const ROUNDS = 50;
const RACERS = 4;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The newest mail to `to` whose subject matches, among those sent after the outbox held `since`
 * mails, waiting (bounded) for the background send.
 */
async function mailTo(outbox: OutboxMailer, to: string, subject: RegExp, since = 0): Promise<URL> {
  for (let i = 0; i < 200; i++) {
    const all = outbox.list();
    const mail = all.slice(0, all.length - since).find((m) => m.to === to && subject.test(m.subject));
    if (mail) return new URL(mail.links[0]!);
    await pause(5);
  }
  throw new Error(`no "${String(subject)}" mail to ${to}`);
}

function quiet(): OutboxMailer {
  return devMailer({ print: () => {}, capacity: 500 });
}

/** Logins with `password` fired over the first few ms of `revoke`; the clients whose login succeeded. */
async function race(t: TestApp, mode: Mode, email: string, password: string, revoke: () => Promise<{ status: number }>): Promise<{ revoked: { status: number }; winners: Client[] }> {
  const racers = Array.from({ length: RACERS }, async (_, i) => {
    await pause(i);
    const client = new Client(t.app, mode);
    return (await client.login(email, password)).status === 200 ? client : null;
  });
  const [revoked, ...results] = await Promise.all([revoke(), ...racers]);
  return { revoked: revoked as { status: number }, winners: (results as (Client | null)[]).filter((c): c is Client => c !== null) };
}

for (const mode of MODES) {
  describe(`[${mode}] fresh and final: races`, function () {
    this.timeout(120_000);

    it(`a sign-in with the old password racing a password change never outlives it (${ROUNDS} rounds)`, async () => {
      const t = await makeApp({ mode, rateLimits: false });
      const { email } = await register(t.app);
      let password = PASSWORD;
      let winners = 0;
      const survivors: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const next = password === PASSWORD ? NEW_PASSWORD : PASSWORD;
        const owner = await signIn(t.app, mode, email, password);
        const r = await race(t, mode, email, password, () => owner.post("/auth/account/change-password").send({ currentPassword: password, newPassword: next }));
        expect(r.revoked.status, `round ${round}`).to.be.oneOf([200, 204]);
        winners += r.winners.length;
        for (const c of r.winners) if ((await c.meStatus()) !== 401) survivors.push(round);
        password = next;
      }
      console.log(`      [${mode}] change-password: ${ROUNDS} rounds, ${winners} sign-ins with the old password answered 200 around the change, ${survivors.length} survived it`);
      expect(survivors, "rounds with a surviving sign-in").to.deep.equal([]);
      expect(winners, "some sign-ins began before the change committed (the race was run)").to.be.greaterThan(0);
    });

    it(`a sign-in with the old password racing a reset never outlives it (${ROUNDS} rounds)`, async () => {
      const outbox = quiet();
      const t = await makeApp({ mode, rateLimits: false, mailer: outbox });
      const { email } = await register(t.app);
      let password = PASSWORD;
      const survivors: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const next = password === PASSWORD ? NEW_PASSWORD : PASSWORD;
        const since = outbox.list().length;
        expect((await request(t.app).post("/auth/forgot-password").send({ email })).status).to.equal(202);
        const token = (await mailTo(outbox, email, /reset/i, since)).searchParams.get("token")!;
        const r = await race(t, mode, email, password, () => request(t.app).post("/auth/reset-password").send({ token, password: next }));
        expect(r.revoked.status, `round ${round}`).to.equal(204);
        for (const c of r.winners) if ((await c.meStatus()) !== 401) survivors.push(round);
        password = next;
      }
      expect(survivors, "rounds with a surviving sign-in").to.deep.equal([]);
    });

    it(`a sign-in racing the deletion of the account never outlives it (${ROUNDS} rounds)`, async () => {
      const t = await makeApp({ mode, rateLimits: false });
      const survivors: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const { email } = await register(t.app);
        const owner = await signIn(t.app, mode, email);
        const r = await race(t, mode, email, PASSWORD, () => owner.delete("/auth/account").send({ password: PASSWORD }));
        expect(r.revoked.status, `round ${round}`).to.equal(204);
        for (const c of r.winners) if ((await c.meStatus()) !== 401) survivors.push(round);
      }
      expect(survivors, "rounds with a surviving sign-in").to.deep.equal([]);
    });

    for (const how of ["DELETE /sessions", "DELETE /sessions/:id"] as const) {
      it(`a session refreshing in a tight loop cannot escape ${how} (${ROUNDS / 2} rounds)`, async () => {
        const t = await makeApp({ mode, rateLimits: false });
        const { email } = await register(t.app);
        const escaped: number[] = [];
        for (let round = 0; round < ROUNDS / 2; round++) {
          const thief = await signIn(t.app, mode, email);
          const owner = await signIn(t.app, mode, email);
          let stop = false;
          const loop = (async () => {
            for (let i = 0; i < 500 && !stop; i++) if ((await thief.refresh()).status !== 200) return;
          })();
          await pause(round % 5);
          if (how === "DELETE /sessions") {
            expect((await owner.delete("/auth/sessions")).status).to.equal(204);
          } else {
            const listed = (await owner.get("/auth/sessions")).body.sessions as { id: string; current: boolean }[];
            const theirs = listed.filter((s) => !s.current);
            for (const s of theirs) expect((await owner.delete(`/auth/sessions/${s.id}`)).status).to.equal(204);
          }
          stop = true;
          await loop;
          if ((await thief.meStatus()) !== 401 || (await thief.refresh()).status === 200) escaped.push(round);
          expect(await owner.meStatus()).to.equal(200);
          await owner.post("/auth/logout").send({});
        }
        expect(escaped, "rounds the refreshing session stayed in").to.deep.equal([]);
      });
    }
  });

  describe(`[${mode}] fresh and final: every other session sees a change on its next request`, () => {
    it("email verified through the link, a profile change through auth.users, one made around it and announced, an email change", async () => {
      const outbox = quiet();
      const t = await makeApp({ mode, mailer: outbox });
      const { email } = await register(t.app);
      const other = await signIn(t.app, mode, email);
      const me = async () => (await other.get("/auth/me")).body.user as { email: string; name: string | null; emailVerified: boolean };
      expect((await me()).emailVerified).to.equal(false);

      const verify = await mailTo(outbox, email, /verify|confirm/i);
      const verified = await request(t.app).post("/auth/verify-email").set("Accept", "application/json").send({ token: verify.searchParams.get("token") });
      expect(verified.status).to.equal(200);
      expect((await me()).emailVerified, "verified in a request without any session").to.equal(true);

      const user = (await t.auth.users.findByEmail(email))!;
      await t.auth.users.update(user.id, { name: "Ada", updatedAt: t.clock.now() });
      expect((await me()).name).to.equal("Ada");

      // Around the library (the app's own write to the store), then announced.
      await t.store.update(user.id, { name: "Ada L.", updatedAt: t.clock.now() });
      await t.auth.users.changed(user.id);
      expect((await me()).name).to.equal("Ada L.");

      const changer = await signIn(t.app, mode, email);
      const newEmail = `moved-${email}`;
      expect((await changer.post("/auth/account/change-email").send({ newEmail, password: PASSWORD })).status).to.equal(202);
      const confirm = await mailTo(outbox, newEmail, /confirm/i);
      const changed = await request(t.app).post("/auth/account/confirm-email-change").set("Accept", "application/json").send({ token: confirm.searchParams.get("token") });
      expect(changed.status).to.equal(200);
      expect((await me()).email).to.equal(newEmail);
    });

    it("a password changed or a user deleted around the library ends their sessions once announced", async () => {
      const t = await makeApp({ mode });
      const { email } = await register(t.app);
      const a = await signIn(t.app, mode, email);
      const user = (await t.auth.users.findByEmail(email))!;
      const store = t.store;
      await store.update(user.id, { passwordHash: (await t.auth.users.findById(user.id))!.passwordHash.replace(/.$/, "x"), updatedAt: t.clock.now() });
      expect(await a.meStatus(), "not announced yet").to.equal(200);
      await t.auth.users.changed(user.id);
      expect(await a.meStatus()).to.equal(401);

      const b = await register(t.app);
      const c = await signIn(t.app, mode, b.email);
      const bUser = (await t.auth.users.findByEmail(b.email))!;
      await store.delete(bUser.id);
      await t.auth.users.changed(bUser.id);
      expect(await c.meStatus()).to.equal(401);
    });
  });
}

/**
 * An app whose Redis client goes through a proxy the test cuts before the n-th command of the
 * operation under test: the store fails between two steps of it.
 */
async function faultyApp(mode: Mode, server: OwnRedis, mailer?: OutboxMailer) {
  const proxy = await new TcpProxy("127.0.0.1", server.port).start();
  const client = new Redis(proxy.port, "127.0.0.1", FAIL_FAST);
  client.on("error", () => {});
  if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve));
  const t = await makeApp({ mode, redis: client, rateLimits: false, ...(mailer ? { mailer } : {}) });
  let countdown = -1;
  const original = client.sendCommand.bind(client);
  (client as unknown as { sendCommand: typeof client.sendCommand }).sendCommand = ((...args: Parameters<typeof original>) => {
    if (countdown > 0 && --countdown === 0) proxy.cut();
    return original(...args);
  }) as typeof client.sendCommand;
  const sent = countCommands(client);
  return {
    t,
    /** Cuts the proxy just before the n-th command from now (n >= 1). */
    cutBefore(n: number) {
      countdown = n;
    },
    /** Counts the commands `op` sends. */
    async count(op: () => Promise<unknown>): Promise<number> {
      const before = sent.count();
      await op();
      return sent.count() - before;
    },
    async heal() {
      countdown = -1;
      proxy.restore();
      for (let i = 0; i < 100 && client.status !== "ready"; i++) await pause(20);
      // Past the grace period: whatever the cut left in flight is settled on the next use.
      t.clock.advance(6);
    },
    async close() {
      client.disconnect();
      await proxy.close();
    },
  };
}

for (const mode of MODES) {
  describe(`[${mode}] fresh and final: a store cut at any step of a revocation leaves all of it or none`, function () {
    this.timeout(120_000);
    const server = new OwnRedis();
    before(async function () {
      if (process.env.GATEHOUSE_TEST_REDIS === "cluster") this.skip();
      await server.start();
      await waitForPing(server.port, 5000);
    });
    after(() => server.stop());

    /** A new user signed in on two clients: the one that acts and the other one that must follow. */
    async function signedInTwice(t: TestApp) {
      const { email } = await register(t.app);
      return { email, owner: await signIn(t.app, mode, email), other: await signIn(t.app, mode, email) };
    }

    type Outcome = { changed: boolean; othersLive: boolean };
    async function everyStep(name: string, setup: (f: Awaited<ReturnType<typeof faultyApp>>) => Promise<{ run: () => Promise<{ status: number }>; outcome: () => Promise<Outcome> }>, mailer?: () => OutboxMailer) {
      const f = await faultyApp(mode, server, mailer?.());
      let steps: number;
      try {
        const probe = await setup(f);
        steps = await f.count(probe.run);
      } finally {
        await f.close();
      }
      expect(steps, `${name} talks to Redis`).to.be.greaterThan(1);
      const mixed: string[] = [];
      for (let n = 1; n <= steps; n++) {
        const g = await faultyApp(mode, server, mailer?.());
        try {
          const trial = await setup(g);
          g.cutBefore(n);
          const answer = await trial.run();
          await g.heal();
          const o = await trial.outcome();
          if (o.changed === o.othersLive) mixed.push(`cut before command ${n}/${steps} (answer ${answer.status}): changed=${o.changed}, other sessions live=${o.othersLive}`);
        } finally {
          await g.close();
        }
      }
      console.log(`      [${mode}] ${name}: cut before each of its ${steps} Redis commands, ${mixed.length} mixed outcomes`);
      expect(mixed, `${name}: mixed states`).to.deep.equal([]);
    }

    it("change-password", async () => {
      await everyStep("change-password", async ({ t }) => {
        const { email, owner, other } = await signedInTwice(t);
        return {
          run: () => owner.post("/auth/account/change-password").send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
          outcome: async () => ({ changed: (await new Client(t.app, mode).login(email, NEW_PASSWORD)).status === 200, othersLive: (await other.meStatus()) === 200 }),
        };
      });
    });

    it("reset-password", async () => {
      const outbox = quiet();
      await everyStep(
        "reset-password",
        async ({ t }) => {
          const { email } = await register(t.app);
          const other = await signIn(t.app, mode, email);
          await request(t.app).post("/auth/forgot-password").send({ email });
          const token = (await mailTo(outbox, email, /reset/i)).searchParams.get("token")!;
          return {
            run: () => request(t.app).post("/auth/reset-password").send({ token, password: NEW_PASSWORD }),
            outcome: async () => ({ changed: (await new Client(t.app, mode).login(email, NEW_PASSWORD)).status === 200, othersLive: (await other.meStatus()) === 200 }),
          };
        },
        () => outbox,
      );
    });

    it("delete account", async () => {
      await everyStep("delete", async ({ t }) => {
        const { email, owner, other } = await signedInTwice(t);
        return {
          run: () => owner.delete("/auth/account").send({ password: PASSWORD }),
          outcome: async () => ({ changed: (await new Client(t.app, mode).login(email, PASSWORD)).status !== 200, othersLive: (await other.meStatus()) === 200 }),
        };
      });
    });

    it("revoke all others (DELETE /sessions)", async () => {
      await everyStep("revoke-all", async ({ t }) => {
        const { email, owner, other } = await signedInTwice(t);
        const third = await signIn(t.app, mode, email);
        return {
          run: () => owner.delete("/auth/sessions"),
          outcome: async () => {
            const live: [boolean, boolean] = [(await other.meStatus()) === 200, (await third.meStatus()) === 200];
            // Both ended, or both live: never one of them.
            return { changed: !live[0] && !live[1], othersLive: live[0] && live[1] };
          },
        };
      });
    });
  });
}
