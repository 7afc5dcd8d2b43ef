import { expect } from "chai";
import { generateKeyPairSync } from "node:crypto";
import type { AddressInfo } from "node:net";
import express, { type Express } from "express";
import { ResourceOwnerPassword } from "simple-oauth2";
import * as oauth from "oauth4webapi";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { Passport } from "passport";
import { ExtractJwt, Strategy as JwtBearer, type StrategyOptionsWithoutRequest } from "passport-jwt";
import jwksRsa from "jwks-rsa";
import { hs256VerificationKey } from "../../lib/index.js";
import type { AuthOptions } from "../../lib/options.js";
import { makeApp, register, PASSWORD, APP_URL, SECRET } from "../helpers/app.js";
import { MODES } from "../helpers/client.js";

/** Real clients talk to a real socket: the app on a loopback port. */
async function listen(app: Express): Promise<{ base: string; close: () => Promise<void> }> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A served app in `mode`, with a registered user. */
async function served(overrides: Partial<AuthOptions> = {}) {
  // Outside verifiers read the real clock: so does this app.
  const t = await makeApp({ rateLimits: false, now: Date.now, ...overrides });
  const { email } = await register(t.app);
  const server = await listen(t.app);
  return { ...t, ...server, email };
}

const simpleOauth2 = (base: string) =>
  new ResourceOwnerPassword({
    // A first-party public client: the router asks for no client authentication and ignores these.
    client: { id: "first-party", secret: "unused" },
    auth: { tokenHost: base, tokenPath: "/auth/token", revokePath: "/auth/revoke" },
  });

/** A resource server of another team that verifies Gatehouse's access tokens with passport-jwt. */
async function resourceServer(options: Partial<StrategyOptionsWithoutRequest>) {
  const passport = new Passport();
  passport.use(new JwtBearer({ ...options, jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken() } as StrategyOptionsWithoutRequest, (payload: { sub: string }, done: (e: unknown, u: unknown) => void) => done(null, { id: payload.sub })));
  const app = express();
  app.get("/whoami", passport.authenticate("jwt", { session: false }), (req, res) => res.json(req.user));
  return listen(app);
}

const ISSUER = new URL(APP_URL).origin;

describe("real OAuth and JWT clients against the router", function () {
  this.timeout(30000);
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  for (const mode of MODES) {
    if (mode === "session") {
      it("[session] OAuth clients find no token endpoint (404): session mode speaks cookies", async () => {
        const t = await served({ mode });
        closers.push(t.close);
        const err = await simpleOauth2(t.base)
          .getToken({ username: t.email, password: PASSWORD })
          .then(() => null, (e: { output?: { statusCode: number } }) => e);
        expect(err?.output?.statusCode).to.equal(404);
      });
      continue;
    }

    describe(`[${mode}]`, () => {
      it("simple-oauth2 (ResourceOwnerPassword): get, refresh, revoke; a wrong password is 400 invalid_grant", async () => {
        const t = await served({ mode });
        closers.push(t.close);
        const client = simpleOauth2(t.base);
        const token = await client.getToken({ username: t.email, password: PASSWORD });
        expect(token.token.token_type).to.equal("bearer");
        const me = (access: unknown) => fetch(`${t.base}/auth/me`, { headers: { Authorization: `Bearer ${String(access)}` } });
        expect((await me(token.token.access_token)).status).to.equal(200);

        const refreshed = await token.refresh();
        expect(refreshed.token.refresh_token).to.be.a("string").and.not.equal(token.token.refresh_token);
        expect((await me(refreshed.token.access_token)).status).to.equal(200);

        await refreshed.revoke("refresh_token");
        expect((await me(refreshed.token.access_token)).status, "revoking the refresh token ends its access token").to.equal(401);
        const again = await refreshed.refresh().then(() => null, (e: { output: { statusCode: number }; data: { payload: Record<string, unknown> } }) => e);
        expect(again?.output.statusCode).to.equal(400);
        expect(again?.data.payload).to.include({ error: "invalid_grant", code: "INVALID_REFRESH_TOKEN" });

        const other = await client.getToken({ username: t.email, password: PASSWORD });
        await other.revokeAll();
        expect((await me(other.token.access_token)).status).to.equal(401);

        const wrong = await client.getToken({ username: t.email, password: "not the password" }).then(() => null, (e: { output: { statusCode: number }; data: { payload: Record<string, unknown> } }) => e);
        expect(wrong?.output.statusCode).to.equal(400);
        expect(wrong?.data.payload).to.include({ error: "invalid_grant", code: "INVALID_CREDENTIALS" });
        expect(wrong?.data.payload.error_description).to.be.a("string");
      });

      it("oauth4webapi: password grant (genericTokenEndpointRequest), refresh, revoke; errors parse as RFC 6749 and RFC 6750", async () => {
        const t = await served({ mode });
        closers.push(t.close);
        const as: oauth.AuthorizationServer = { issuer: ISSUER, token_endpoint: `${t.base}/auth/token`, revocation_endpoint: `${t.base}/auth/revoke` };
        const client: oauth.Client = { client_id: "first-party" };
        const auth = oauth.None();
        const opts = { [oauth.allowInsecureRequests]: true };

        const tokens = await oauth.processGenericTokenEndpointResponse(
          as,
          client,
          await oauth.genericTokenEndpointRequest(as, client, auth, "password", new URLSearchParams({ username: t.email, password: PASSWORD }), opts),
        );
        expect(tokens.token_type).to.equal("bearer");
        expect(tokens.expires_in).to.be.a("number");
        const me = (access: string) => oauth.protectedResourceRequest(access, "GET", new URL(`${t.base}/auth/me`), new Headers(), null, opts);
        expect((await me(tokens.access_token)).status).to.equal(200);

        const next = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token!, opts));
        expect(next.refresh_token).to.be.a("string").and.not.equal(tokens.refresh_token);

        await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, next.access_token, opts));
        // The revoked access token: oauth4webapi reads the RFC 6750 challenge of the 401.
        const challenge = await me(next.access_token).then(() => null, (e: unknown) => e);
        expect(challenge).to.be.instanceOf(oauth.WWWAuthenticateChallengeError);
        const [first] = (challenge as oauth.WWWAuthenticateChallengeError).cause;
        expect(first?.scheme).to.equal("bearer");
        expect(first?.parameters.error).to.equal("invalid_token");

        const wrong = await oauth
          .processGenericTokenEndpointResponse(as, client, await oauth.genericTokenEndpointRequest(as, client, auth, "password", new URLSearchParams({ username: t.email, password: "nope nope nope" }), opts))
          .then(() => null, (e: unknown) => e);
        expect(wrong).to.be.instanceOf(oauth.ResponseBodyError);
        expect(wrong).to.include({ status: 400, error: "invalid_grant" });
        const grant = await oauth
          .processGenericTokenEndpointResponse(as, client, await oauth.genericTokenEndpointRequest(as, client, auth, "client_credentials", new URLSearchParams(), opts))
          .then(() => null, (e: unknown) => e);
        expect(grant).to.include({ status: 400, error: "unsupported_grant_type" });
        const missing = await oauth
          .processGenericTokenEndpointResponse(as, client, await oauth.genericTokenEndpointRequest(as, client, auth, "password", new URLSearchParams({ username: t.email }), opts))
          .then(() => null, (e: unknown) => e);
        expect(missing).to.include({ status: 400, error: "invalid_request" });
      });

      for (const type of ["rsa", "ed25519"] as const) {
        const algorithm = type === "rsa" ? "RS256" : "EdDSA";
        it(`jose createRemoteJWKSet verifies ${algorithm} access tokens from the JWKS endpoint`, async () => {
          const t = await served({ mode, jwt: { algorithm, keys: [{ kid: `${type}-1`, ...generateKeyPairSync(type as "rsa", { modulusLength: 2048 }) }] } });
          closers.push(t.close);
          const token = await simpleOauth2(t.base).getToken({ username: t.email, password: PASSWORD });
          const jwks = createRemoteJWKSet(new URL(`${t.base}/auth/.well-known/jwks.json`));
          const { payload, protectedHeader } = await jwtVerify(String(token.token.access_token), jwks, { issuer: ISSUER, audience: ISSUER, typ: "at+jwt", algorithms: [algorithm] });
          expect(protectedHeader.alg).to.equal(algorithm);
          expect(payload.sub).to.be.a("string");
        });
      }

      it("passport-jwt verifies HS256 tokens with hs256VerificationKey(secret)", async () => {
        const t = await served({ mode });
        closers.push(t.close);
        const token = String((await simpleOauth2(t.base).getToken({ username: t.email, password: PASSWORD })).token.access_token);
        const rs = await resourceServer({ secretOrKey: Buffer.from(hs256VerificationKey(SECRET)), algorithms: ["HS256"], issuer: ISSUER, audience: ISSUER });
        closers.push(rs.close);
        const ok = await fetch(`${rs.base}/whoami`, { headers: { Authorization: `Bearer ${token}` } });
        expect(ok.status).to.equal(200);
        expect(((await ok.json()) as { id: string }).id).to.be.a("string");
        const forged = await resourceServer({ secretOrKey: SECRET, algorithms: ["HS256"], issuer: ISSUER, audience: ISSUER });
        closers.push(forged.close);
        expect((await fetch(`${forged.base}/whoami`, { headers: { Authorization: `Bearer ${token}` } })).status, "the raw secret is not the key").to.equal(401);
      });

      it("passport-jwt verifies RS256 tokens through the JWKS with jwks-rsa; jsonwebtoken cannot verify EdDSA (as the README says)", async () => {
        const t = await served({ mode, jwt: { algorithm: "RS256", keys: [{ kid: "rsa-1", ...generateKeyPairSync("rsa", { modulusLength: 2048 }) }] } });
        closers.push(t.close);
        const token = String((await simpleOauth2(t.base).getToken({ username: t.email, password: PASSWORD })).token.access_token);
        const rs = await resourceServer({
          secretOrKeyProvider: jwksRsa.passportJwtSecret({ jwksUri: `${t.base}/auth/.well-known/jwks.json`, cache: false }),
          algorithms: ["RS256"],
          issuer: ISSUER,
          audience: ISSUER,
        });
        closers.push(rs.close);
        expect((await fetch(`${rs.base}/whoami`, { headers: { Authorization: `Bearer ${token}` } })).status).to.equal(200);

        const ed = generateKeyPairSync("ed25519");
        const e = await served({ mode, jwt: { algorithm: "EdDSA", keys: [{ kid: "ed-1", ...ed }] } });
        closers.push(e.close);
        const edToken = String((await simpleOauth2(e.base).getToken({ username: e.email, password: PASSWORD })).token.access_token);
        const edRs = await resourceServer({ secretOrKey: ed.publicKey.export({ type: "spki", format: "pem" }) as string, issuer: ISSUER, audience: ISSUER });
        closers.push(edRs.close);
        expect((await fetch(`${edRs.base}/whoami`, { headers: { Authorization: `Bearer ${edToken}` } })).status).to.equal(401);
      });
    });
  }
});
