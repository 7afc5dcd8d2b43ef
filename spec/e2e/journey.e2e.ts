/**
 * End-to-end: the example app (example/server.ts) in headless Chromium, in session and in JWT mode.
 *
 *   npm run test:e2e
 *
 * Each mode gets its own redis-server and its own example app (a child process on a free port);
 * a person's whole journey is driven through the page with playwright-core on Debian's chromium
 * (/usr/bin/chromium; override with CHROMIUM_PATH). Emailed links are read from the app's
 * /dev/outbox page and followed like a user would. Set E2E_SCREENSHOT_DIR to keep a screenshot of
 * the signed-in page per mode.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";
import { generateSync } from "otplib";
import { OwnRedis, freePort } from "../helpers/redis.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const AUTH_SECRET = "gatehouse-e2e-secret-0123456789-abcdefghijklmnop";
/** Bound for each browser action and wait. */
const STEP_MS = 15_000;

type Mode = "session" | "jwt";

/** The example app running as a child process. */
interface ExampleApp {
  url: string;
  /** What the app printed so far (shown when a test fails). */
  output(): string;
  stop(): Promise<void>;
}

async function startExample(mode: Mode, redisUrl: string): Promise<ExampleApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    REDIS_URL: redisUrl,
    AUTH_MODE: mode,
    APP_URL: url,
    AUTH_SECRET,
    NODE_ENV: "development",
  };
  delete env.SMTP_URL; // emails go to the dev outbox
  delete env.AUTH_RATE_LIMITS; // the journey runs with the real limits
  const child = spawn(process.execPath, ["--import", "tsx", "example/server.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const app: ExampleApp = { url, output: () => output, stop: () => stopChild(child) };
  try {
    await waitUntilAnswers(`${url}/config.json`, child, 30_000);
  } catch (err) {
    await app.stop();
    throw new Error(`${(err as Error).message}\n--- example app output ---\n${output}`, { cause: err });
  }
  return app;
}

async function waitUntilAnswers(url: string, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the example app exited (${child.exitCode ?? child.signalCode})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the example app did not answer at ${url} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL after 3 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Runs one step of the journey; a failure names the step. */
async function step(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const e = err as Error;
    e.message = `step "${name}": ${e.message}`;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// What a person does and sees on the page

async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await ready(page);
}

/** The page finished its first session check. */
async function ready(page: Page): Promise<void> {
  await page.locator("body[data-ready=true]").waitFor({ state: "attached" });
}

/** Waits until the status line shows `kind` with text matching `text`. */
async function expectMessage(page: Page, kind: "success" | "error" | "info", text: RegExp): Promise<void> {
  const wanted = page.locator(`#message[data-kind="${kind}"]`, { hasText: text });
  try {
    await wanted.waitFor({ state: "visible" });
  } catch {
    const box = page.locator("#message");
    const shown = (await box.isVisible()) ? `${await box.getAttribute("data-kind")}: ${await box.textContent()}` : "(no message)";
    throw new Error(`expected a ${kind} message matching ${text}; the page shows ${shown}`);
  }
}

async function expectSignedIn(page: Page, email: string): Promise<void> {
  await page.locator("#signed-in").waitFor({ state: "visible" });
  expect(await page.locator("#whoami").textContent()).to.equal(`Signed in as ${email}`);
  expect(await page.locator("#profile-email").textContent()).to.equal(email);
}

async function expectSignedOut(page: Page): Promise<void> {
  await page.locator("#signed-out").waitFor({ state: "visible" });
  expect(await page.locator("#signed-in").isHidden()).to.equal(true);
  expect(await page.locator("#whoami").textContent()).to.equal("Not signed in");
}

async function login(page: Page, email: string, password: string): Promise<void> {
  await page.fill("#login-email", email);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await login(page, email, password);
  await expectMessage(page, "success", /You are signed in/);
  await expectSignedIn(page, email);
}

/** The sessions list once it shows `count` entries (reloaded by the caller when needed). */
async function expectSessions(page: Page, count: number): Promise<void> {
  const items = page.locator('#sessions-list > li[data-testid="session"]');
  await page.waitForFunction(
    (n) => document.querySelectorAll('#sessions-list > li[data-testid="session"]').length === n,
    count,
    { timeout: STEP_MS },
  ).catch(async () => {
    throw new Error(`expected ${count} session(s) in the list, the page shows ${await items.count()}`);
  });
  expect(await page.locator('#sessions-list > li[data-current="true"]').count()).to.equal(1);
}

/**
 * The newest emailed link to `to` whose subject matches `subject`, read from /dev/outbox in a
 * tab of the same browser.
 */
async function linkFromOutbox(context: BrowserContext, baseUrl: string, to: string, subject: RegExp): Promise<string> {
  const tab = await context.newPage();
  try {
    await tab.goto(`${baseUrl}/dev/outbox`);
    const mail = tab
      .locator('li[data-testid="outbox-message"]')
      .filter({ has: tab.locator('[data-testid="outbox-to"]', { hasText: to }) })
      .filter({ has: tab.locator('[data-testid="outbox-subject"]', { hasText: subject }) })
      .first();
    await mail.waitFor({ state: "visible", timeout: 5000 }).catch(async () => {
      throw new Error(`no email to ${to} with a subject matching ${subject} in the outbox:\n${await tab.locator("body").innerText()}`);
    });
    const href = await mail.locator('a[data-testid="outbox-link"][href*="token="]').first().getAttribute("href");
    expect(href, "the email's link").to.be.a("string");
    expect(href!.startsWith(`${baseUrl}/`), `link ${href} points at APP_URL`).to.equal(true);
    return href!;
  } finally {
    await tab.close();
  }
}

// ---------------------------------------------------------------------------------------------

for (const mode of ["session", "jwt"] as const) {
  describe(`example app in a browser (${mode} mode)`, function () {
    this.timeout(120_000);

    let redis: OwnRedis | undefined;
    let app: ExampleApp | undefined;
    let browser: Browser | undefined;

    before(async function () {
      this.timeout(60_000);
      redis = await new OwnRedis().start();
      app = await startExample(mode, redis.url);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    });

    afterEach(function () {
      if (this.currentTest?.state === "failed" && app) {
        console.error(`--- example app output (${mode} mode), last part ---\n${app.output().slice(-4000)}`);
      }
    });

    after(async function () {
      this.timeout(30_000);
      await browser?.close().catch(() => {});
      await app?.stop();
      await redis?.stop();
    });

    /** A fresh browser context: its own cookies and storage, like another browser. */
    async function newBrowser(): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser!.newContext({ viewport: { width: 1200, height: 900 } });
      context.setDefaultTimeout(STEP_MS);
      context.setDefaultNavigationTimeout(STEP_MS);
      const page = await context.newPage();
      page.on("pageerror", (err) => console.error(`page error (${mode}): ${err.message}`));
      return { context, page };
    }

    it("register → verify → sign out / in → change password and email → revoke a second browser → reset → delete", async () => {
      const base = app!.url;
      const id = randomBytes(4).toString("hex");
      const email = `ada-${mode}-${id}@example.com`;
      const newEmail = `lovelace-${mode}-${id}@example.com`;
      const first = "correct horse battery staple";
      const second = "a much newer passphrase 2";
      const third = "the passphrase after reset 3";

      const a = await newBrowser();
      const b = await newBrowser();
      // JWT mode: a controllable clock in the first browser, to reach the refresh timer.
      if (mode === "jwt") await a.context.clock.install();
      const pageA = a.page;
      const pageB = b.page;

      await step("open the page", async () => {
        await openApp(pageA, base);
        await expectSignedOut(pageA);
        expect(await pageA.locator("body").getAttribute("data-mode")).to.equal(mode);
        expect(await pageA.locator("#mode-label").textContent()).to.match(mode === "jwt" ? /^JWT mode/ : /^Session mode/);
        expect(await pageA.locator("#mode-note").isVisible()).to.equal(mode === "jwt");
        expect(await pageA.locator("#outbox-link").isVisible()).to.equal(true);
      });

      await step("register", async () => {
        await pageA.fill("#register-name", "Ada Lovelace");
        await pageA.fill("#register-email", email);
        await pageA.fill("#register-password", "short");
        await pageA.click("#register-submit");
        await expectMessage(pageA, "error", /Please check what you entered/);
        expect(await pageA.locator('#message li[data-field="password"]').textContent()).to.match(/at least 8 characters/);
        await pageA.fill("#register-password", first);
        await pageA.click("#register-submit");
        await expectMessage(pageA, "success", new RegExp(`Account created\\. We sent a link to ${email.replace(/\./g, "\\.")}`));
        await expectSignedOut(pageA);
      });

      await step("verify the email from the outbox link", async () => {
        const link = await linkFromOutbox(a.context, base, email, /^Confirm your email address/);
        // A mail scanner's fetch of the link changes nothing: the page comes first, the button confirms.
        const scanned = await a.context.request.head(link);
        expect(scanned.status()).to.equal(200);
        await pageA.goto(link);
        expect(await pageA.locator("h1").textContent()).to.equal("Confirm your email address");
        expect(await pageA.title()).to.equal("Confirm your email address");
        await pageA.getByRole("button", { name: "Confirm my email address" }).click();
        await ready(pageA);
        await expectMessage(pageA, "success", /Your email is verified\./);
        expect(new URL(pageA.url()).search, "no token or status left in the address bar").to.equal("");
      });

      await step("sign in: the profile shows the verified badge", async () => {
        await login(pageA, email, "not the password at all");
        await expectMessage(pageA, "error", /That email and password don't match an account\./);
        await signIn(pageA, email, first);
        expect(await pageA.locator("#profile-name").textContent()).to.equal("Ada Lovelace");
        const badge = pageA.locator("#profile-verified");
        expect(await badge.getAttribute("data-verified")).to.equal("true");
        expect(await badge.textContent()).to.equal("verified");
        expect(await pageA.locator("#resend-verification").isHidden()).to.equal(true);
        await expectSessions(pageA, 1);
      });

      if (mode === "jwt") {
        await step("jwt: tokens only in memory, a reload signs out", async () => {
          // Only the device_token stays (no credential: it cannot sign in, it only keeps this browser's attempt budget).
          const stored = await pageA.evaluate(() => ({
            local: Object.keys(localStorage).filter((k) => !k.startsWith("gatehouse.device:")).length,
            devices: Object.keys(localStorage).filter((k) => k.startsWith("gatehouse.device:")).length,
            session: sessionStorage.length,
            cookie: document.cookie,
          }));
          expect(stored).to.deep.equal({ local: 0, devices: 1, session: 0, cookie: "" });
          await pageA.reload();
          await ready(pageA);
          await expectSignedOut(pageA);
          await signIn(pageA, email, first);
        });
      }

      await step("sign out", async () => {
        await pageA.click("#logout-button");
        await expectMessage(pageA, "info", /You are signed out\./);
        await expectSignedOut(pageA);
        await pageA.reload();
        await ready(pageA);
        await expectSignedOut(pageA);
      });

      await step("sign in again, refresh, call the protected API", async () => {
        await signIn(pageA, email, first);
        await pageA.click("#refresh-session");
        await expectMessage(pageA, "success", mode === "jwt" ? /Tokens refreshed/ : /Session refreshed/);
        await pageA.click("#load-api-profile");
        await pageA.locator("#api-profile-output").waitFor({ state: "visible" });
        expect(JSON.parse((await pageA.locator("#api-profile-output").textContent())!).user.email).to.equal(email);
      });

      if (mode === "jwt") {
        await step("jwt: the pair is refreshed before the access token expires, and a 401 is retried after a refresh", async () => {
          const refreshed = () => pageA.waitForResponse((r) => r.url() === `${base}/auth/refresh` && r.request().method() === "POST", { timeout: STEP_MS });
          // expires_in is 900 s: the timer fires about 60 s before, not earlier.
          let early = 0;
          const count = (r: Request) => {
            if (r.url() === `${base}/auth/refresh`) early++;
          };
          pageA.on("request", count);
          await pageA.clock.fastForward("13:50");
          await pageA.evaluate(() => 0);
          pageA.off("request", count);
          expect(early, "refreshes before 14 minutes").to.equal(0);
          let answer = refreshed();
          await pageA.clock.fastForward("00:15");
          expect((await answer).status(), "timed refresh").to.equal(200);
          await expectSignedIn(pageA, email);

          // The next request is refused once as if its access token had expired: refresh, retry, done.
          let refused = 0;
          await pageA.route(`${base}/api/profile`, async (route) => {
            if (refused++ > 0) return route.fallback();
            await route.fulfill({
              status: 401,
              contentType: "application/problem+json",
              body: JSON.stringify({ status: 401, code: "UNAUTHENTICATED", title: "Unauthenticated" }),
            });
          });
          answer = refreshed();
          await pageA.locator("#api-profile-output").evaluate((el) => (el.textContent = ""));
          await pageA.click("#load-api-profile");
          expect((await answer).status(), "refresh after the 401").to.equal(200);
          await pageA.locator("#api-profile-output", { hasText: email }).waitFor({ state: "visible" });
          expect(refused, "the request was sent twice").to.equal(2);
          await pageA.unroute(`${base}/api/profile`);
          await expectSignedIn(pageA, email);
        });
      }

      await step("change password", async () => {
        await pageA.fill("#current-password", "wrong current password");
        await pageA.fill("#new-password", second);
        await pageA.click("#change-password-submit");
        await expectMessage(pageA, "error", /Your current password is not right\./);
        await pageA.fill("#current-password", first);
        await pageA.fill("#new-password", second);
        await pageA.click("#change-password-submit");
        await expectMessage(pageA, "success", /Your password was changed\. Every other session was signed out\./);
        await expectSessions(pageA, 1);
        // Still signed in with the new credentials (session: new CSRF token; jwt: the new pair).
        await pageA.click("#refresh-session");
        await expectMessage(pageA, "success", /refreshed/);
        await expectSignedIn(pageA, email);
      });

      await step("sign in on a second browser", async () => {
        await openApp(pageB, base);
        await expectSignedOut(pageB);
        await login(pageB, email, first);
        await expectMessage(pageB, "error", /That email and password don't match an account\./);
        await signIn(pageB, email, second);
        await expectSessions(pageB, 2);
      });

      await step("the first browser lists both sessions", async () => {
        await pageA.click("#reload-sessions");
        await expectSessions(pageA, 2);
        if (process.env.E2E_SCREENSHOT_DIR) {
          await pageA.screenshot({ path: join(process.env.E2E_SCREENSHOT_DIR, `gatehouse-${mode}.png`), fullPage: true });
        }
      });

      await step("revoke the second browser from the first", async () => {
        await pageA.locator('#sessions-list > li[data-current="false"] button[data-testid="revoke-session"]').click();
        await expectMessage(pageA, "success", /That session was signed out\./);
        await expectSessions(pageA, 1);
      });

      await step("the second browser is signed out", async () => {
        await pageB.click("#reload-sessions");
        await expectMessage(pageB, "error", /Your session has ended\. Please sign in again\./);
        await expectSignedOut(pageB);
        await pageB.reload();
        await ready(pageB);
        await expectSignedOut(pageB);
      });

      await step("change email with confirmation", async () => {
        await pageA.fill("#new-email", newEmail);
        await pageA.fill("#change-email-password", second);
        await pageA.click("#change-email-submit");
        await expectMessage(pageA, "success", /Check your new inbox/);
        const link = await linkFromOutbox(a.context, base, newEmail, /^Confirm your new email address/);
        // Followed in another tab, as from a mail client; the first tab stays signed in.
        const tab = await a.context.newPage();
        await tab.goto(link);
        await ready(tab);
        await tab.locator("#confirm-email-panel").waitFor({ state: "visible" });
        await tab.click("#confirm-email-button");
        await expectMessage(tab, "success", new RegExp(`Your email is now ${newEmail.replace(/\./g, "\\.")}\\.`));
        await tab.close();
        await pageA.click("#refresh-session");
        await expectMessage(pageA, "success", /refreshed/);
        await expectSignedIn(pageA, newEmail);
        expect(await pageA.locator("#profile-verified").getAttribute("data-verified")).to.equal("true");
      });

      await step("forgot password on the second browser, reset from the outbox link", async () => {
        await pageB.fill("#forgot-email", newEmail);
        await pageB.click("#forgot-submit");
        await expectMessage(pageB, "success", /If an account exists for/);
        const link = await linkFromOutbox(b.context, base, newEmail, /^Reset your/);
        await pageB.goto(link);
        await ready(pageB);
        await pageB.locator("#reset-panel").waitFor({ state: "visible" });
        expect(new URL(pageB.url()).search, "the token left the address bar").to.equal("");
        await pageB.fill("#reset-new-password", third);
        await pageB.click("#reset-submit");
        await expectMessage(pageB, "success", /Your password was changed and every session was signed out\./);
        await expectSignedOut(pageB);
        // The link works once.
        await pageB.goto(link);
        await ready(pageB);
        await expectMessage(pageB, "error", /That link is invalid or expired/);
      });

      await step("the reset signed the first browser out", async () => {
        await pageA.click("#reload-sessions");
        await expectMessage(pageA, "error", /Your session has ended\. Please sign in again\./);
        await expectSignedOut(pageA);
        await login(pageA, newEmail, second);
        await expectMessage(pageA, "error", /That email and password don't match an account\./);
        await signIn(pageA, newEmail, third);
        await expectSessions(pageA, 1);
      });

      await step("delete the account", async () => {
        await pageA.fill("#delete-password", third);
        await pageA.check("#delete-confirm");
        await pageA.click("#delete-account-submit");
        await expectMessage(pageA, "info", /Your account was deleted\./);
        await expectSignedOut(pageA);
        await login(pageA, newEmail, third);
        await expectMessage(pageA, "error", /That email and password don't match an account\./);
        await expectSignedOut(pageA);
      });

      await a.context.close();
      await b.context.close();
    });

    it("two-step sign-in: enroll from the page (QR and key) → sign in with a code → sign in with a recovery code → turn it off", async () => {
      const base = app!.url;
      const email = `grace-${mode}-${randomBytes(4).toString("hex")}@example.com`;
      const password = "correct horse battery staple";
      const { context, page } = await newBrowser();
      /** What an authenticator app shows, `steps` time steps from now (otplib, never the code under test). */
      const code = (secret: string, steps = 0) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });
      let secret = "";
      let recoveryCodes: string[] = [];

      await step("register and sign in with the password alone", async () => {
        await openApp(page, base);
        await page.fill("#register-email", email);
        await page.fill("#register-password", password);
        await page.click("#register-submit");
        await expectMessage(page, "success", /Account created/);
        await signIn(page, email, password);
        expect(await page.locator("#mfa-status").getAttribute("data-enabled")).to.equal("false");
      });

      await step("enroll: the QR code and the key are shown; a wrong code is refused, the right one turns it on", async () => {
        await page.click("#mfa-setup-button");
        await page.locator("#mfa-setup-panel").waitFor({ state: "visible" });
        const qr = await page.locator("#mfa-qr").getAttribute("src");
        expect(qr).to.match(/^data:image\/svg\+xml;base64,/);
        expect(await page.locator("#mfa-qr").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), "the QR code renders").to.equal(true);
        secret = (await page.locator("#mfa-secret").getAttribute("data-secret"))!;
        expect(secret).to.match(/^[A-Z2-7]{32}$/);
        await page.fill("#mfa-enable-code", code(secret) === "000000" ? "111111" : "000000");
        await page.click("#mfa-enable-submit");
        await expectMessage(page, "error", /That code is not right/);
        await page.fill("#mfa-enable-code", code(secret));
        await page.click("#mfa-enable-submit");
        await expectMessage(page, "success", /Two-step sign-in is on/);
        recoveryCodes = await page.locator("#mfa-recovery-codes > li").allTextContents();
        expect(recoveryCodes).to.have.length(10);
        expect(await page.locator("#mfa-status").getAttribute("data-enabled")).to.equal("true");
      });

      await step("sign out, sign in with the password and a code", async () => {
        await page.click("#logout-button");
        await expectSignedOut(page);
        await login(page, email, password);
        await expectMessage(page, "info", /Now enter the code/);
        await page.locator("#mfa-step").waitFor({ state: "visible" });
        expect(await page.locator("#signed-in").isHidden(), "not signed in yet").to.equal(true);
        // The code used to enroll is spent: the next step's code (inside the ±1 window) signs in.
        await page.fill("#mfa-code", code(secret, 1));
        await page.click("#mfa-verify-submit");
        await expectMessage(page, "success", /You are signed in/);
        await expectSignedIn(page, email);
        await expectSessions(page, 1);
      });

      await step("sign out, sign in with a recovery code (once)", async () => {
        await page.click("#logout-button");
        await expectSignedOut(page);
        await login(page, email, password);
        await page.locator("#mfa-step").waitFor({ state: "visible" });
        await page.fill("#mfa-code", recoveryCodes[0]!);
        await page.click("#mfa-verify-submit");
        await expectSignedIn(page, email);
        expect(await page.locator("#mfa-status").textContent()).to.contain("9 recovery codes left");
        await page.click("#logout-button");
        await expectSignedOut(page);
        await login(page, email, password);
        await page.locator("#mfa-step").waitFor({ state: "visible" });
        await page.fill("#mfa-code", recoveryCodes[0]!);
        await page.click("#mfa-verify-submit");
        await expectMessage(page, "error", /That code is not right/);
        await page.fill("#mfa-code", recoveryCodes[1]!);
        await page.click("#mfa-verify-submit");
        await expectSignedIn(page, email);
      });

      await step("turn two-step sign-in off with the password and a code", async () => {
        await page.fill("#mfa-disable-password", password);
        await page.fill("#mfa-disable-code", recoveryCodes[2]!);
        await page.click("#mfa-disable-submit");
        await expectMessage(page, "success", /Two-step sign-in is off/);
        await page.click("#logout-button");
        await signIn(page, email, password);
      });

      await context.close();
    });
  });
}
