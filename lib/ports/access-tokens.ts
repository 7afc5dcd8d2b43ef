/** What an access token says, once verified. */
export interface AccessClaims {
  /** The user id. */
  sub: string;
  /** The refresh-token family the token belongs to. */
  sid: string;
  jti: string;
  /** When the user last authenticated (OIDC's `auth_time`, seconds), if the token carries it. */
  auth_time?: number;
}

/** Signs and verifies access tokens (JWTs). The default uses jose. */
export interface AccessTokens {
  /** Lifetime of a new token, seconds. */
  readonly ttl: number;
  sign(claims: { sub: string; sid: string; auth_time?: number }, now: number): Promise<string>;
  /** The claims of a valid token, or null for anything else (forged, expired, wrong type/audience/issuer/algorithm). */
  verify(token: string, now: number): Promise<AccessClaims | null>;
  /** The public keys as a JWK Set, or null when tokens are signed with a shared secret. */
  jwks(): Promise<{ keys: object[] } | null>;
}
