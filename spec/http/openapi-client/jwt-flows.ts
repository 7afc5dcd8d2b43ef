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

  const token = await client.POST("/token", { body: { grant_type: "password", username: email, password } });
  if (!token.data) throw new Error(`token: ${token.response.status}`);
  // The document says a password grant may stop at a second factor instead; this user has none.
  if ("mfaRequired" in token.data) throw new Error("token: a second factor was asked for");
  const bearer = (access: string) => ({ Authorization: `Bearer ${access}` });
  const me = await client.GET("/me", { headers: bearer(token.data.access_token) });
  if (!me.data) throw new Error(`me: ${me.response.status}`);
  log.push(`me ${me.data.user.email}`);

  const refreshed = await client.POST("/refresh", { body: { refresh_token: token.data.refresh_token } });
  if (!refreshed.data) throw new Error(`refresh: ${refreshed.response.status}`);
  const sessions = await client.GET("/sessions", { headers: bearer(refreshed.data.access_token) });
  if (!sessions.data) throw new Error(`sessions: ${sessions.response.status}`);
  log.push(`sessions ${sessions.data.sessions.length}`);

  const revoked = await client.POST("/revoke", { body: { token: refreshed.data.refresh_token, token_type_hint: "refresh_token" } });
  log.push(`revoke ${revoked.response.status}`);
  const after = await client.GET("/me", { headers: bearer(refreshed.data.access_token) });
  if (after.error) log.push(`after revoke ${after.response.status} ${after.error.code}`);

  const wrong = await client.POST("/token", { body: { username: email, password: `${password}!` } });
  if (wrong.error) log.push(`wrong password ${wrong.response.status} ${wrong.error.error}`);
  return log;
}
