// Compiled with tsc --strict against the types openapi-typescript generates from the router's
// document (../openapi-client.spec.ts copies this file beside them), then run against the router.
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

export async function run(baseUrl: string, email: string, password: string): Promise<string[]> {
  const log: string[] = [];
  const client = createClient<paths>({ baseUrl });
  const registered = await client.POST("/register", { body: { email, password } });
  if (!registered.data) throw new Error(`register: ${registered.response.status}`);
  log.push(`registered ${registered.data.user.email}`);

  const login = await client.POST("/login", { body: { email, password } });
  if (!login.data) throw new Error(`login: ${login.response.status}`);
  // The document says a login may stop at a second factor instead; this user has none.
  if ("mfaRequired" in login.data) throw new Error("login: a second factor was asked for");
  // The session cookie (the login also sets this browser's device cookie).
  const cookie = (login.response.headers.getSetCookie().find((c) => c.startsWith("gh.sid=")) ?? "").split(";")[0]!;
  const signedIn = { Cookie: cookie, "X-CSRF-Token": login.data.csrfToken };
  const me = await client.GET("/me", { headers: { Cookie: cookie } });
  if (!me.data) throw new Error(`me: ${me.response.status}`);
  log.push(`me ${me.data.user.email}`);

  const sessions = await client.GET("/sessions", { headers: { Cookie: cookie } });
  if (!sessions.data) throw new Error(`sessions: ${sessions.response.status}`);
  log.push(`sessions ${sessions.data.sessions.length}`);

  const forged = await client.POST("/logout", { headers: { Cookie: cookie } });
  if (forged.error) log.push(`logout without the CSRF token ${forged.response.status} ${forged.error.code}`);
  const logout = await client.POST("/logout", { headers: signedIn });
  log.push(`logout ${logout.response.status}`);
  const after = await client.GET("/me", { headers: { Cookie: cookie } });
  if (after.error) log.push(`after logout ${after.response.status} ${after.error.code}`);
  return log;
}
