/**
 * The one check of "this client knows the password", for sign-in and for the re-authentication
 * of sensitive changes (a wrong current password is a failed login): the attempt counts against
 * the login buckets before the hash is checked, exactly one hash verification runs whether or
 * not the account exists, a success hands the attempt back, and a hash made with older
 * parameters is upgraded.
 */
export class PasswordProof {
    deps;
    constructor(deps) {
        this.deps = deps;
    }
    /**
     * The user, possibly with an upgraded hash, when `password` is theirs; null otherwise.
     * `find` looks the account up once the attempt is counted. Throws `TOO_MANY_REQUESTS` while
     * the account is locked for this client, whatever the password. With `refund: false` a right
     * password leaves the attempt counted, for a caller that still has a step to pass (sign-in
     * with a second factor) and settles it itself. `device` is the client's valid device credential
     * for this account, if any: its own attempt budget instead of the account's lock.
     */
    async prove(email, password, ctx, find, { refund = true, device } = {}) {
        await this.deps.limits?.beforePasswordCheck(email, ctx.ip, device);
        const user = await find();
        if (!user) {
            // Unknown email: verify against a dummy hash so the answer takes as long as a wrong password.
            await this.deps.passwords.verifyDummy(password);
            return null;
        }
        const result = await this.deps.passwords.verify(user.passwordHash, password);
        if (!result.ok)
            return null;
        if (refund)
            await this.deps.limits?.passwordCheckSucceeded(email, ctx.ip, device);
        if (!result.upgradedHash)
            return user;
        // Parameters moved on (or the hash is bcrypt while argon2 is available): store the upgrade.
        const upgraded = await this.deps.users.update(user.id, { passwordHash: result.upgradedHash, updatedAt: this.deps.now() });
        if (!upgraded)
            return user;
        await this.deps.credentials.rehashed(upgraded);
        return upgraded;
    }
}
