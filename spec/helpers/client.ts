import type { Express } from "express";
import request, { type Test } from "supertest";
import { PASSWORD, sessionCookie } from "./app.js";

/** The two ways a client proves who it is. HTTP specs run once per mode. */
export type Mode = "session" | "jwt";
export const MODES: readonly Mode[] = ["session", "jwt"];

/** A credential a client presented at some point: its session cookie, or its access token. */
export interface Held {
  header: "Cookie" | "Authorization";
  value: string;
}

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, unknown> };

/**
 * A signed-in client, in either mode: a cookie-keeping agent that sends its CSRF token on unsafe
 * requests (session), or a holder of an access/refresh pair that sends `Authorization: Bearer`
 * (jwt). The specs talk through it so the same assertions run in both modes.
 */
export class Client {
  readonly agent: ReturnType<typeof request.agent>;
  csrfToken = "";
  accessToken = "";
  refreshToken = "";
  /** The session cookie ("name=value") last set by a sign-in, refresh or password change (session mode). */
  cookie = "";
  /** The body of the last sign-in or refresh. */
  last: Record<string, unknown> = {};

  constructor(
    readonly app: Express,
    readonly mode: Mode,
  ) {
    this.agent = request.agent(app);
  }

  /** Takes the credentials from a login, refresh or change-password answer. */
  take(body: Record<string, unknown>): void {
    this.last = body;
    if (typeof body.csrfToken === "string") this.csrfToken = body.csrfToken;
    if (typeof body.access_token === "string") this.accessToken = body.access_token;
    if (typeof body.refresh_token === "string") this.refreshToken = body.refresh_token;
  }

  private keepCookie(res: Answer): void {
    const cookie = res.headers ? sessionCookie({ headers: res.headers }) : undefined;
    if (cookie) this.cookie = cookie;
  }

  /** The credential this client presents now, to replay later on a bare request (outside the cookie jar). */
  held(): Held {
    if (this.mode === "jwt") {
      if (!this.accessToken) throw new Error("this client holds no access token");
      return { header: "Authorization", value: `Bearer ${this.accessToken}` };
    }
    if (!this.cookie) throw new Error("this client holds no session cookie");
    return { header: "Cookie", value: this.cookie };
  }

  /** GET `path` on a bare request that presents `held` and nothing else. */
  replay(held: Held, path = "/auth/me"): Test {
    return request(this.app).get(path).set(held.header, held.value);
  }

  private auth(t: Test, unsafe: boolean): Test {
    if (this.mode === "jwt") return this.accessToken ? t.set("Authorization", `Bearer ${this.accessToken}`) : t;
    return unsafe && this.csrfToken ? t.set("X-CSRF-Token", this.csrfToken) : t;
  }

  get(path: string): Test {
    return this.auth(this.agent.get(path), false);
  }
  post(path: string): Test {
    return this.auth(this.agent.post(path), true);
  }
  delete(path: string): Test {
    return this.auth(this.agent.delete(path), true);
  }

  async login(email: string, password = PASSWORD) {
    const res = await this.agent.post("/auth/login").send({ email, password });
    if (res.status === 200) {
      this.take(res.body);
      this.keepCookie(res);
    }
    return res;
  }

  /** Finishes a two-step sign-in (POST /mfa/verify); keeps the credentials on success. */
  async verifyMfa(mfaToken: string, code: string, userAgent?: string) {
    const t = this.agent.post("/auth/mfa/verify");
    if (userAgent) t.set("User-Agent", userAgent);
    const res = await t.send({ mfaToken, code });
    if (res.status === 200) {
      this.take(res.body);
      this.keepCookie(res);
    }
    return res;
  }

  /** POST /refresh the way this mode does it; keeps the new credentials on success. */
  async refresh() {
    const res = this.mode === "jwt" ? await this.agent.post("/auth/refresh").send({ refresh_token: this.refreshToken }) : await this.post("/auth/refresh");
    if (res.status === 200) {
      this.take(res.body);
      this.keepCookie(res);
    }
    return res;
  }

  /** After a password change: session mode reads the new CSRF token; jwt mode keeps the fresh pair from the answer. */
  async afterPasswordChange(res: Answer): Promise<void> {
    this.keepCookie(res);
    if (this.mode === "jwt") this.take(res.body);
    else this.csrfToken = (await this.agent.get("/auth/csrf")).body.csrfToken;
  }

  /** The status of GET /auth/me: 200 while signed in, 401 after. */
  async meStatus(): Promise<number> {
    return (await this.get("/auth/me")).status;
  }
}

/** Signs `email` in on a new client. */
export async function signIn(app: Express, mode: Mode, email: string, password = PASSWORD): Promise<Client> {
  const client = new Client(app, mode);
  const res = await client.login(email, password);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return client;
}
