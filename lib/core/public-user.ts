import type { PublicUser, UserRecord } from "../types.js";

/** Serializes a user for an answer; the password hash never leaves the server. */
export function toPublicUser(user: UserRecord, extra?: (user: UserRecord) => Record<string, unknown>): PublicUser {
  return {
    ...(extra ? extra(user) : {}),
    id: user.id,
    email: user.email,
    name: user.name,
    emailVerified: user.emailVerified,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}
