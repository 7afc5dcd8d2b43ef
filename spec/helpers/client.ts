import type { Express } from "express";
import request, { type Test } from "supertest";
import { PASSWORD } from "./app.js";

/** The two ways a client proves who it is. HTTP specs run once per mode. */
export type Mode = "session" | "jwt";
export const MODES: readonly Mode[] = ["session", "jwt"];

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
    if (res.status === 200) this.take(res.body);
    return res;
  }

  /** POST /refresh the way this mode does it; keeps the new credentials on success. */
  async refresh() {
    const res = this.mode === "jwt" ? await this.agent.post("/auth/refresh").send({ refresh_token: this.refreshToken }) : await this.post("/auth/refresh");
    if (res.status === 200) this.take(res.body);
    return res;
  }

  /** After a password change: session mode reads the new CSRF token; jwt mode keeps the fresh pair from the answer. */
  async afterPasswordChange(res: { status: number; body: Record<string, unknown> }): Promise<void> {
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
