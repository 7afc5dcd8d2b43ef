import type { Request, RequestHandler, Response } from "express";
import type { ErrorCode } from "../../errors.js";
import type { KeptCredential } from "../../ports/credential-store.js";
import type { PublicUser, UserRecord } from "../../types.js";
import type { SignInGrant } from "../../core/sign-in.js";

/** How this request's sign-in stands: when the user last authenticated (ms), and whether it may only enroll a factor. */
export interface AuthState {
  authAt: number;
  restricted: boolean;
}

/** A session as `GET /sessions` lists it (a server-side session, or a refresh-token family in JWT mode). */
export interface SessionInfo {
  /** An opaque handle for `DELETE /sessions/:id` (never the session id or a token). */
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

/**
 * How a request proves who it is: server-side sessions (cookies + CSRF) or bearer tokens. The
 * routes speak only to this interface, so every endpoint works in both modes.
 */
export interface Strategy {
  /** Reads the request's credentials once per request (cookie session or bearer token). */
  readonly load: RequestHandler;
  /** The signed-in user of this request, or null. */
  current(req: Request): PublicUser | null;
  /** The id of this request's session or refresh family. */
  currentId(req: Request): string | undefined;
  /** What `checkCsrf` can throw on an unsafe request (the OpenAPI document lists it): `[]` for bearer tokens. */
  readonly csrfErrors: readonly ErrorCode[];
  /** Throws `CSRF_INVALID` for a forged cross-site request (session mode); bearer tokens need no check. */
  checkCsrf(req: Request): void;
  /** Starts a session for `user`: the fields to add to the login answer. */
  signIn(req: Request, user: UserRecord, grant?: SignInGrant): Promise<Record<string, unknown>>;
  /** The current sign-in's authentication time and restriction (null when not signed in). */
  authState(req: Request): AuthState | null;
  /** Records a re-authentication (or an enrollment) at `authAt` on the current sign-in; lifts a restriction. */
  markAuthenticated(req: Request, authAt: number): Promise<void>;
  /** `POST /refresh`: the answer. `input` is the validated body (JWT mode: `refresh_token`). */
  refresh(req: Request, input: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Ends this request's session. */
  signOut(req: Request, res: Response): Promise<void>;
  /** After this request changed the password: a rotated session (nothing to answer) or a fresh token pair. */
  afterPasswordChange(req: Request, user: UserRecord): Promise<Record<string, unknown> | undefined>;
  /** This request's session or family, as a credential change keeps it (re-stamped with the new epoch). */
  kept(req: Request): KeptCredential | undefined;
  /** `DELETE /sessions`: ends every other session (family) of the signed-in user in one step; resolves how many were live. */
  revokeOthers(req: Request): Promise<number>;
  list(req: Request): Promise<SessionInfo[]>;
  revokeOne(req: Request, res: Response, handle: string): Promise<void>;
  /** This request changed the user (email verified or changed): its own copy of the user follows. */
  updateUser(req: Request, user: UserRecord): Promise<void>;
}
