import { createRequire } from "node:module";
import { expect } from "chai";
import type { ErrorRequestHandler, Response } from "express";
import request from "supertest";
import { problemErrorHandler, type SignedInRequest } from "../../lib/index.js";
import { makeApp as makeAnyApp, register, PASSWORD } from "../helpers/app.js";
import { MODES, signIn } from "../helpers/client.js";
import { express, EXPRESS_MAJOR } from "../helpers/express.js";

const require = createRequire(import.meta.url);

/** The app's last error handler: a plain 500 the specs can recognize. */
const appErrors: ErrorRequestHandler = (err: Error, _req, res, _next) => {
  res.status(500).json({ appHandled: err.message });
};

describe("the Express of the host app", () => {
  it(`is Express ${EXPRESS_MAJOR} (GATEHOUSE_TEST_EXPRESS)`, () => {
    const pkg = require(EXPRESS_MAJOR === 4 ? "express4/package.json" : "express/package.json") as { version: string };
    expect(pkg.version.split(".")[0]).to.equal(String(EXPRESS_MAJOR));
    expect(express).to.equal(require(EXPRESS_MAJOR === 4 ? "express4" : "express"));
  });
});

for (const mode of MODES) {
  const makeApp: typeof makeAnyApp = (overrides = {}, setup) => makeAnyApp({ mode, ...overrides }, setup);

  describe(`[${mode}] inside the host app (Express ${EXPRESS_MAJOR})`, () => {
    describe("protect and res.locals", () => {
      it("auth.protect runs the handler for a signed-in user, with req.user set (typed, no !)", async () => {
        const { app: real, auth } = await makeApp();
        // The parameter type is the point: req.user is not optional in a protected handler.
        const handler = (req: SignedInRequest, res: Response) => res.json({ email: req.user.email, locals: res.locals.user?.id === req.user.id });
        real.get("/api/whoami", auth.protect(handler));
        const { email } = await register(real);
        expect((await request(real).get("/api/whoami")).status).to.equal(401);
        const client = await signIn(real, mode, email);
        const res = await client.get("/api/whoami");
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ email, locals: true });
      });

      it("auth.protect hands a rejected promise and a throw to the app's error handler", async () => {
        const { app, auth } = await makeApp();
        app.get(
          "/api/async",
          auth.protect(async () => {
            await Promise.resolve();
            throw new Error("async boom");
          }),
        );
        app.get(
          "/api/sync",
          auth.protect({ verifiedEmail: false }, () => {
            throw new Error("sync boom");
          }),
        );
        app.use(appErrors);
        const { email } = await register(app);
        const client = await signIn(app, mode, email);
        const a = await client.get("/api/async");
        expect(a.status).to.equal(500);
        expect(a.body).to.deep.equal({ appHandled: "async boom" });
        const s = await client.get("/api/sync");
        expect(s.body).to.deep.equal({ appHandled: "sync boom" });
      });

      it("requireUser and optionalUser set res.locals.user for view engines", async () => {
        const { app, auth } = await makeApp();
        app.get("/view", auth.requireUser, (_req, res) => res.json({ local: res.locals.user?.email ?? null }));
        app.get("/view-maybe", auth.optionalUser, (_req, res) => res.json({ local: res.locals.user?.email ?? null }));
        const { email } = await register(app);
        expect((await request(app).get("/view-maybe")).body).to.deep.equal({ local: null });
        const client = await signIn(app, mode, email);
        expect((await client.get("/view")).body).to.deep.equal({ local: email });
        expect((await client.get("/view-maybe")).body).to.deep.equal({ local: email });
      });
    });

    describe("behind the app's own body parsers", () => {
      const behindJson = () =>
        makeApp({}, (a) => {
          a.use(express.json());
          a.use(problemErrorHandler());
        });

      it("bad JSON is problem+json 400 INVALID_JSON (problemErrorHandler), not Express's HTML page", async () => {
        const { app } = await behindJson();
        const res = await request(app).post("/auth/login").set("Content-Type", "application/json").send('{"email": "a@example.com",');
        expect(res.status).to.equal(400);
        expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
        expect(res.body.code).to.equal("INVALID_JSON");
        expect(res.text).to.not.match(/<html|<pre|at /i);
      });

      it("the router's 16 kB limit still holds although the app's parser allows 100 kB", async () => {
        const { app } = await behindJson();
        const res = await request(app).post("/auth/register").send({ email: "big@example.com", password: PASSWORD, name: "x".repeat(20_000) });
        expect(res.status).to.equal(413);
        expect(res.body.code).to.equal("PAYLOAD_TOO_LARGE");
        // Chunked, without Content-Length: measured from the parsed body.
        const chunked = request(app).post("/auth/register").set("Content-Type", "application/json").set("Transfer-Encoding", "chunked");
        chunked.write(JSON.stringify({ email: "big@example.com", password: PASSWORD, name: "y".repeat(20_000) }));
        const c = await chunked;
        expect(c.status).to.equal(413);
        expect(c.body.code).to.equal("PAYLOAD_TOO_LARGE");
      });

      it("an app parser's own 413 is problem+json too", async () => {
        const { app } = await makeApp({}, (a) => {
          a.use(express.json({ limit: 100 }));
          a.use(problemErrorHandler());
        });
        const res = await request(app).post("/auth/login").send({ email: "a@example.com", password: "p".repeat(200) });
        expect(res.status).to.equal(413);
        expect(res.body.code).to.equal("PAYLOAD_TOO_LARGE");
      });

      it("the router's rules still hold: JSON routes refuse forms (415), and a JSON primitive is INVALID_JSON", async () => {
        const { app } = await makeApp({}, (a) => {
          a.use(express.urlencoded({ extended: true }));
          a.use(express.json({ strict: false }));
          a.use(problemErrorHandler());
        });
        const form = await request(app).post("/auth/login").type("form").send({ email: "a@example.com", password: PASSWORD });
        expect(form.status).to.equal(415);
        expect(form.body.code).to.equal("UNSUPPORTED_MEDIA_TYPE");
        const primitive = await request(app).post("/auth/login").set("Content-Type", "application/json").send('"just a string"');
        expect(primitive.status).to.equal(400);
        expect(primitive.body.code).to.equal("INVALID_JSON");
      });

      it("a body the app kept raw (express.raw) is parsed by the router", async () => {
        const { app } = await makeApp({}, (a) => a.use(express.raw({ type: "application/json" })));
        const { email } = await register(app);
        expect((await request(app).post("/auth/login").send({ email, password: PASSWORD })).status).to.equal(200);
        const bad = await request(app).post("/auth/login").set("Content-Type", "application/json").send("{nope");
        expect(bad.body.code).to.equal("INVALID_JSON");
      });

      it("signs in and out as usual behind express.json() and express.urlencoded()", async () => {
        const { app } = await makeApp({}, (a) => {
          a.use(express.json());
          a.use(express.urlencoded({ extended: false }));
          a.use(problemErrorHandler());
        });
        const { email } = await register(app);
        const client = await signIn(app, mode, email);
        expect(await client.meStatus()).to.equal(200);
        expect((await client.post("/auth/logout").send({})).status).to.equal(204);
        expect(await client.meStatus()).to.equal(401);
      });

      if (mode === "jwt") {
        it("POST /token keeps its field limit behind the app's form parser (413)", async () => {
          const { app } = await makeApp({}, (a) => a.use(express.urlencoded({ extended: false })));
          const { email } = await register(app);
          const ok = await request(app).post("/auth/token").type("form").send({ grant_type: "password", username: email, password: PASSWORD });
          expect(ok.status).to.equal(200);
          const fields = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f${i}`, "x"]));
          const many = await request(app).post("/auth/token").type("form").send({ ...fields, username: email, password: PASSWORD });
          expect(many.status).to.equal(413);
          expect(many.body.code).to.equal("PAYLOAD_TOO_LARGE");
        });
      }

      it("problemErrorHandler passes every other error on to the app", async () => {
        const { app } = await makeApp({}, (a) => {
          a.use(express.json());
          a.get("/boom", () => {
            throw new Error("not a body error");
          });
          a.use(problemErrorHandler());
          a.use(appErrors);
        });
        const res = await request(app).get("/boom");
        expect(res.status).to.equal(500);
        expect(res.body).to.deep.equal({ appHandled: "not a body error" });
      });
    });
  });
}
