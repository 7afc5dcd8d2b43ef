import { expect } from "chai";
import { AuthError, isAuthError } from "../../lib/errors.js";
import { MemoryRateLimiter } from "../../lib/adapters/memory-rate-limiter.js";
import { clientKey, DEFAULT_LIMITS, LIMIT_NAMES, RateLimits, resolveLimits } from "../../lib/core/rate-limits.js";

const EMAIL = "ada@example.com";
const IP = "203.0.113.7";
const OTHER_IP = "198.51.100.9";

/** The AuthError a call rejects with, or null when it resolves. */
async function refusal(call: Promise<unknown>): Promise<AuthError | null> {
  try {
    await call;
    return null;
  } catch (err) {
    if (err instanceof AuthError) return err;
    throw err;
  }
}

async function expectTooMany(call: Promise<unknown>): Promise<AuthError> {
  const err = await refusal(call);
  expect(isAuthError(err, "TOO_MANY_REQUESTS"), `expected 429, got ${String(err)}`).to.equal(true);
  return err!;
}

/** `n` wrong passwords: the attempt is counted before the check, nothing after a failure. */
async function failLogins(limits: RateLimits, email: string, ip: string | undefined, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await limits.beforePasswordCheck(email, ip);
}

describe("RateLimits", () => {
  let limits: RateLimits;

  beforeEach(() => {
    limits = new RateLimits(new MemoryRateLimiter());
  });

  describe("login lockout (account + client)", () => {
    it("refuses the attempt after 5 failures for 15 minutes, with Retry-After", async () => {
      await failLogins(limits, EMAIL, IP, 5);
      const err = await expectTooMany(limits.beforePasswordCheck(EMAIL, IP));
      expect(err.status).to.equal(429);
      expect(err.retryAfter).to.be.within(899, 900);
      // Still locked, and refused attempts do not push the lock further out.
      const again = await expectTooMany(limits.beforePasswordCheck(EMAIL, IP));
      expect(again.retryAfter).to.be.within(899, 900);
    });

    it("does not lock the same account from another client", async () => {
      await failLogins(limits, EMAIL, IP, 5);
      await expectTooMany(limits.beforePasswordCheck(EMAIL, IP));
      await limits.beforePasswordCheck(EMAIL, OTHER_IP);
    });

    it("does not lock another account from the same client", async () => {
      await failLogins(limits, EMAIL, IP, 5);
      await limits.beforePasswordCheck("grace@example.com", IP);
    });

    it("keys by the normalized email", async () => {
      await failLogins(limits, "  Ada@Example.COM ", IP, 5);
      await expectTooMany(limits.beforePasswordCheck(EMAIL, IP));
    });

    it("lets exactly 5 of 20 parallel guesses through", async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => refusal(limits.beforePasswordCheck(EMAIL, IP))));
      expect(results.filter((r) => r === null)).to.have.length(5);
      expect(results.filter((r) => isAuthError(r, "TOO_MANY_REQUESTS"))).to.have.length(15);
    });

    it("a success forgets that client's failures on the account", async () => {
      await failLogins(limits, EMAIL, IP, 4);
      await limits.beforePasswordCheck(EMAIL, IP);
      await limits.passwordCheckSucceeded(EMAIL, IP);
      await failLogins(limits, EMAIL, IP, 5);
      await expectTooMany(limits.beforePasswordCheck(EMAIL, IP));
    });
  });

  describe("account ceiling", () => {
    it("after 100 failures from many clients, refuses every client for the rest of the hour", async () => {
      for (let i = 0; i < 20; i++) await failLogins(limits, EMAIL, `192.0.2.${i}`, 5);
      for (const ip of [IP, OTHER_IP, "2001:db8::1"]) {
        const err = await expectTooMany(limits.beforePasswordCheck(EMAIL, ip));
        expect(err.retryAfter).to.be.within(3500, 3600);
      }
      await limits.beforePasswordCheck("grace@example.com", IP);
    });

    it("does not count attempts another bucket refused: one client cannot lock the owner out", async () => {
      await failLogins(limits, EMAIL, IP, 5);
      for (let i = 0; i < 150; i++) await expectTooMany(limits.beforePasswordCheck(EMAIL, IP));
      await limits.beforePasswordCheck(EMAIL, OTHER_IP);
    });

    it("keeps counting other clients' failures across a success (only the pair is cleared)", async () => {
      const small = new RateLimits(new MemoryRateLimiter(), resolveLimits({ loginAccount: { points: 8 } }));
      await failLogins(small, EMAIL, IP, 4);
      await small.beforePasswordCheck(EMAIL, IP);
      await small.passwordCheckSucceeded(EMAIL, IP);
      await failLogins(small, EMAIL, IP, 4);
      // 8 failures on the account, 4 of them on this pair: the account is at its ceiling.
      await expectTooMany(small.beforePasswordCheck(EMAIL, OTHER_IP));
      await expectTooMany(small.beforePasswordCheck(EMAIL, IP));
    });

    it("is lifted by a completed password reset", async () => {
      for (let i = 0; i < 20; i++) await failLogins(limits, EMAIL, `192.0.2.${i}`, 5);
      await expectTooMany(limits.beforePasswordCheck(EMAIL, IP));
      await limits.passwordReset(EMAIL, IP);
      await limits.beforePasswordCheck(EMAIL, IP);
    });
  });

  describe("per-client login failures", () => {
    it("refuses a client after 50 failures across accounts, until the window ends", async () => {
      for (let i = 0; i < 50; i++) await limits.beforePasswordCheck(`user${i}@example.com`, IP);
      const err = await expectTooMany(limits.beforePasswordCheck("someone@example.com", IP));
      expect(err.retryAfter).to.be.within(899, 900);
      await limits.beforePasswordCheck("someone@example.com", OTHER_IP);
    });

    it("does not count successes", async () => {
      for (let i = 0; i < 60; i++) {
        await limits.beforePasswordCheck(`user${i}@example.com`, IP);
        await limits.passwordCheckSucceeded(`user${i}@example.com`, IP);
      }
      await limits.beforePasswordCheck("someone@example.com", IP);
    });
  });

  it("answers an unknown email exactly like a known one", async () => {
    const users = new Map([[EMAIL, "correct horse battery staple"]]);
    // The login handler's shape: limits, then the password check (a dummy one for unknown users).
    const login = async (email: string, password: string): Promise<string> => {
      const err = await refusal(limits.beforePasswordCheck(email, IP));
      if (err) return `${err.status} ${err.code} ${err.retryAfter}`;
      if (users.get(email) !== password) return "401";
      await limits.passwordCheckSucceeded(email, IP);
      return "200";
    };
    const sequence = async (email: string) => {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push(await login(email, "wrong password"));
      return out;
    };
    const known = await sequence(EMAIL);
    const unknown = await sequence("nobody@example.com");
    expect(unknown).to.deep.equal(known);
    expect(known.slice(0, 5)).to.deep.equal(["401", "401", "401", "401", "401"]);
    for (const answer of known.slice(5)) expect(answer).to.match(/^429 TOO_MANY_REQUESTS (899|900)$/);
  });

  describe("forgot password", () => {
    it("allows 3 mails per email an hour, for unknown emails too", async () => {
      for (const email of [EMAIL, "nobody@example.com"]) {
        for (let i = 0; i < 3; i++) await limits.beforeForgotPassword(email, `192.0.2.${i}`);
        const err = await expectTooMany(limits.beforeForgotPassword(email, OTHER_IP));
        expect(err.retryAfter).to.be.within(3599, 3600);
      }
    });

    it("allows 20 requests per client an hour across emails", async () => {
      for (let i = 0; i < 20; i++) await limits.beforeForgotPassword(`user${i}@example.com`, IP);
      await expectTooMany(limits.beforeForgotPassword("another@example.com", IP));
      await limits.beforeForgotPassword("another@example.com", OTHER_IP);
    });

    it("does not spend the client's allowance on refused requests", async () => {
      for (let i = 0; i < 3; i++) await limits.beforeForgotPassword(EMAIL, IP);
      for (let i = 0; i < 30; i++) await expectTooMany(limits.beforeForgotPassword(EMAIL, IP));
      for (let i = 0; i < 17; i++) await limits.beforeForgotPassword(`user${i}@example.com`, IP);
      await expectTooMany(limits.beforeForgotPassword("another@example.com", IP));
    });

    it("never locks the login", async () => {
      for (let i = 0; i < 3; i++) await limits.beforeForgotPassword(EMAIL, IP);
      await expectTooMany(limits.beforeForgotPassword(EMAIL, IP));
      await limits.beforePasswordCheck(EMAIL, IP);
    });
  });

  describe("mail requests of signed-in users", () => {
    it("allows 3 verification mails per user an hour", async () => {
      for (let i = 0; i < 3; i++) await limits.beforeVerifyEmailRequest("u1", IP);
      await expectTooMany(limits.beforeVerifyEmailRequest("u1", IP));
      await limits.beforeVerifyEmailRequest("u2", IP);
    });

    it("allows 5 email changes per user an hour", async () => {
      for (let i = 0; i < 5; i++) await limits.beforeChangeEmail("u1", IP);
      await expectTooMany(limits.beforeChangeEmail("u1", OTHER_IP));
      await limits.beforeChangeEmail("u2", IP);
    });

    it("caps one client across users", async () => {
      for (let i = 0; i < 20; i++) await limits.beforeVerifyEmailRequest(`u${i}`, IP);
      await expectTooMany(limits.beforeVerifyEmailRequest("u99", IP));
      for (let i = 0; i < 20; i++) await limits.beforeChangeEmail(`u${i}`, IP);
      await expectTooMany(limits.beforeChangeEmail("u99", IP));
    });
  });

  it("allows 10 registrations per client an hour", async () => {
    for (let i = 0; i < 10; i++) await limits.beforeRegister(IP);
    const err = await expectTooMany(limits.beforeRegister(IP));
    expect(err.retryAfter).to.be.within(3599, 3600);
    await limits.beforeRegister(OTHER_IP);
  });

  describe("emailed tokens", () => {
    it("refuses a client after 30 failed uses in 15 minutes", async () => {
      for (let i = 0; i < 30; i++) await limits.beforeTokenUse(IP);
      const err = await expectTooMany(limits.beforeTokenUse(IP));
      expect(err.retryAfter).to.be.within(899, 900);
      await limits.beforeTokenUse(OTHER_IP);
    });

    it("does not count accepted tokens", async () => {
      for (let i = 0; i < 40; i++) {
        await limits.beforeTokenUse(IP);
        await limits.tokenAccepted(IP);
      }
      await limits.beforeTokenUse(IP);
    });
  });

  it("lifts a lock when its time is up", async function () {
    this.timeout(5000);
    const quick = new RateLimits(new MemoryRateLimiter(), resolveLimits({ registerIp: { points: 1, duration: 1 } }));
    await quick.beforeRegister(IP);
    const err = await expectTooMany(quick.beforeRegister(IP));
    expect(err.retryAfter).to.equal(1);
    // rate-limiter-flexible reads the wall clock: no clock to inject here.
    await new Promise((r) => setTimeout(r, 1100));
    await quick.beforeRegister(IP);
  });

  it("uses one shared bucket for requests without a client address (fail closed)", async () => {
    for (let i = 0; i < 10; i++) await limits.beforeRegister(undefined);
    await expectTooMany(limits.beforeRegister(undefined));
    await expectTooMany(limits.beforeRegister("not an address"));
  });
});

describe("clientKey", () => {
  const cases: [string | undefined, string][] = [
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:1.2.3.4", "1.2.3.4"],
    ["::ffff:0102:0304", "1.2.3.4"],
    ["0:0:0:0:0:ffff:1.2.3.4", "1.2.3.4"],
    ["203.0.113.7:51234", "203.0.113.7"],
    ["2001:db8:0:1::1", "2001:db8:0:1::/64"],
    ["2001:0db8:0000:0001:ffff:ffff:ffff:ffff", "2001:db8:0:1::/64"],
    ["[2001:db8:0:1::1]:443", "2001:db8:0:1::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["2001:db8::", "2001:db8:0:0::/64"],
    [undefined, "unknown"],
    ["", "unknown"],
    ["not an address", "unknown"],
    ["256.1.1.1", "unknown"],
    ["1:2:3:4:5:6:7:8:9", "unknown"],
    ["1::2::3", "unknown"],
    ["1.2.3.4::", "unknown"],
  ];
  for (const [ip, key] of cases) {
    it(`${JSON.stringify(ip)} -> ${key}`, () => {
      expect(clientKey(ip)).to.equal(key);
    });
  }

  it("gives two addresses in one /64 the same key, and the next /64 another", () => {
    expect(clientKey("2001:db8:1:2:aaaa::1")).to.equal(clientKey("2001:db8:1:2:bbbb:cccc:dddd:eeee"));
    expect(clientKey("2001:db8:1:3::1")).to.not.equal(clientKey("2001:db8:1:2::1"));
  });
});

describe("resolveLimits", () => {
  it("returns the defaults, and applies partial overrides", () => {
    expect(resolveLimits()).to.deep.equal(DEFAULT_LIMITS);
    const rules = resolveLimits({ loginAccountIp: { points: 10 } });
    expect(rules.loginAccountIp).to.deep.equal({ ...DEFAULT_LIMITS.loginAccountIp, points: 10 });
    expect(Object.keys(rules)).to.deep.equal([...LIMIT_NAMES]);
  });

  it("throws TypeError on an unknown bucket or a bad value", () => {
    expect(() => resolveLimits({ login: {} } as never)).to.throw(TypeError, /login/);
    expect(() => resolveLimits({ loginIp: { points: 0 } })).to.throw(TypeError, /loginIp.points/);
    expect(() => resolveLimits({ loginIp: { duration: 1.5 } })).to.throw(TypeError, /loginIp.duration/);
    expect(() => resolveLimits({ loginIp: { blockDuration: -1 } })).to.throw(TypeError, /loginIp.blockDuration/);
    expect(() => resolveLimits({ loginIp: { points: "5" as never } })).to.throw(TypeError);
  });

  it("keeps the login lockout inside ASVS 2.2.1 and the pair lock below the account ceiling", () => {
    const { loginAccount, loginAccountIp } = DEFAULT_LIMITS;
    expect(loginAccount.points).to.be.at.most(100);
    expect(loginAccount.duration).to.be.at.least(3600);
    expect(loginAccountIp.points).to.be.below(loginAccount.points);
  });
});
