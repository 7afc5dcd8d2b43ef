import { expect } from "chai";
import { DEFAULT_TEMPLATES } from "../../lib/core/mail-templates.js";
import { Notifier } from "../../lib/core/notifier.js";
import type { MailMessage, Mailer } from "../../lib/ports/mailer.js";

const user = { id: "u", email: "ada@example.com", name: null, emailVerified: false, createdAt: "", updatedAt: "" };
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A mailer whose sends finish only when the spec releases them. */
class HeldMailer implements Mailer {
  readonly held: { message: MailMessage; release: () => void; fail: (err: Error) => void }[] = [];
  send(message: MailMessage): Promise<void> {
    return new Promise((release, fail) => this.held.push({ message, release: () => release(), fail }));
  }
}

function notifierOn(mailer: Mailer | undefined, reported: string[] = []) {
  return new Notifier(mailer, { appName: "App", appUrl: "https://app.test/", templates: DEFAULT_TEMPLATES, locale: () => undefined, onError: (_e, info) => void reported.push(`${info.template} ${info.to}`) });
}

/** "idle" when `idle` resolved by the time queued callbacks ran, else "busy". */
async function state(idle: Promise<void>): Promise<"idle" | "busy"> {
  return Promise.race([idle.then(() => "idle" as const), drain().then(() => "busy" as const)]);
}

describe("Notifier", () => {
  it("idle() resolves at once when nothing is being sent, and without a mailer sends nothing", async () => {
    expect(await state(notifierOn(new HeldMailer()).idle())).to.equal("idle");
    const none = notifierOn(undefined);
    expect(none.enabled).to.equal(false);
    none.send("verifyEmail", "ada@example.com", { user, link: "https://app.test/x" });
    expect(await state(none.idle())).to.equal("idle");
  });

  it("idle() waits for every send started so far, including those started while waiting", async () => {
    const mailer = new HeldMailer();
    const notifier = notifierOn(mailer);
    notifier.send("verifyEmail", "ada@example.com", { user, link: "https://app.test/x" });
    expect(mailer.held.map((h) => h.message.to), "handed to the mailer at once").to.deep.equal(["ada@example.com"]);
    const idle = notifier.idle();
    expect(await state(idle)).to.equal("busy");
    notifier.send("passwordChanged", "ada@example.com", { user });
    mailer.held[0]!.release();
    expect(await state(idle), "the second send is still under way").to.equal("busy");
    mailer.held[1]!.release();
    expect(await state(idle)).to.equal("idle");
  });

  it("idle() resolves once a failed send has been reported, and does not reject", async () => {
    const mailer = new HeldMailer();
    const reported: string[] = [];
    const notifier = notifierOn(mailer, reported);
    notifier.send("resetPassword", "ada@example.com", { user, link: "https://app.test/x", expiresInMinutes: 60 });
    const idle = notifier.idle();
    mailer.held[0]!.fail(new Error("smtp down"));
    await idle;
    expect(reported).to.deep.equal(["resetPassword ada@example.com"]);
  });
});
