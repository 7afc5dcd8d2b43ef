/** Ends a user's sessions (server-side sessions; in JWT mode, refresh-token families). */
export interface SessionRevoker {
  /** Ends every session of the user except `keep` (a session id), if given; resolves how many ended. */
  revokeAll(userId: string, keep?: string): Promise<number>;
}
