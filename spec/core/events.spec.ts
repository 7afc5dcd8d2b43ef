import { expect } from "chai";
import { Events, safely } from "../../lib/core/events.js";
import type { UserRecord } from "../../lib/types.js";
import { registerLinks, buildCore, CTX, PASSWORD } from "../helpers/core.js";

/** Lets every callback already queued run (a rejection's handler included); no timer involved. */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Events", () => {
  const user = { id: "u1", email: "ada@example.com", name: null, emailVerified: true, createdAt: "", updatedAt: "" };

  it("calls the hook with the event and the request context", () => {
    const seen: unknown[] = [];
    const reports: unknown[] = [];
    new Events({ onLogin: (e) => void seen.push(e) }, (_w, err) => void reports.push(err)).emit("onLogin", CTX, { user });
    expect(seen).to.deep.equal([{ user, ...CTX }]);
    expect(reports).to.deep.equal([]);
  });

  it("does nothing for an event without a hook", () => {
    const reports: unknown[] = [];
    new Events({}, (_w, err) => void reports.push(err)).emit("onLogout", CTX, { user });
    expect(reports).to.deep.equal([]);
  });

  it("reports a throwing hook and never throws at the caller", () => {
    const boom = new Error("hook threw");
    const reports: [string, unknown][] = [];
    const events = new Events(
      {
        onLogin: () => {
          throw boom;
        },
      },
      (what, err) => void reports.push([what, err]),
    );
    expect(() => events.emit("onLogin", CTX, { user })).to.not.throw();
    expect(reports).to.deep.equal([["the onLogin hook", boom]]);
  });

  it("reports a rejecting hook and never rejects at the caller", async () => {
    const boom = new Error("hook rejected");
    const reports: [string, unknown][] = [];
    const events = new Events({ onLogout: () => Promise.reject(boom) }, (what, err) => void reports.push([what, err]));
    expect(events.emit("onLogout", CTX, { user })).to.equal(undefined);
    await drain();
    expect(reports).to.deep.equal([["the onLogout hook", boom]]);
  });

  it("safely() reports a throw and a rejection alike, and nothing else", async () => {
    const reports: string[] = [];
    const report = (what: string) => void reports.push(what);
    safely("a", report, () => {
      throw new Error("x");
    });
    safely("b", report, () => Promise.reject(new Error("y")));
    safely("c", report, () => 42);
    await drain();
    expect(reports).to.deep.equal(["a", "b"]);
  });

  it("hooks that throw or reject inside a flow leave the flow as it was, and are reported", async () => {
    const c = buildCore({
      hooks: {
        onRegister: () => Promise.reject(new Error("register hook")),
        onLogin: () => {
          throw new Error("login hook");
        },
        onLoginFailed: () => Promise.reject(new Error("failed hook")),
      },
    });
    const { user: registered } = await c.signIn.register({ email: "ada@example.com", password: PASSWORD, name: null }, CTX, registerLinks);
    const result = await c.signIn.login("ada@example.com", PASSWORD, CTX, async (u: UserRecord) => u.id);
    expect(result.status === "signed-in" && result.session).to.equal(registered!.id);
    let code: string | undefined;
    try {
      await c.signIn.login("ada@example.com", "wrong password here", CTX, async () => "no");
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code, "the caller still gets the real answer").to.equal("INVALID_CREDENTIALS");
    await drain();
    expect(c.reports.map((r) => [r.what, (r.err as Error).message]).sort()).to.deep.equal([
      ["the onLogin hook", "login hook"],
      ["the onLoginFailed hook", "failed hook"],
      ["the onRegister hook", "register hook"],
    ]);
  });
});
