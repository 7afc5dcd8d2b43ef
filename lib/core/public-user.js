/** Serializes a user for an answer; the password hash never leaves the server. */
export function toPublicUser(user, extra) {
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
