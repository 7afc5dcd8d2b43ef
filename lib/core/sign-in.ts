import type { CoreDeps } from "./deps.js";
import { AuthError } from "../errors.js";
import type { RequestContext, UserRecord } from "../types.js";
import { normalizeEmail } from "./email-address.js";
import { checkPassword } from "./password-policy.js";
import type { DeviceCredentials } from "./device-credentials.js";
import type { Recovery } from "./recovery.js";
import type { EmailVerification } from "./verification.js";
import type { PasswordProof } from "./password-proof.js";

/**
 * Starts what a sign-in hands out (a server-side session, or a token pair) and resolves the
 * fields to add to the answer. The HTTP layer supplies it: core decides whether to call it.
 */
export type StartSession<T> = (user: UserRecord, grant?: SignInGrant) => Promise<T>;

/** What a completed sign-in may do: `restricted` sessions may only enroll a second factor. */
export interface SignInGrant {
  restricted?: "mfa-enrollment";
}

/**
 * A step a sign-in must pass after the password (a second factor). `challenge` resolves what the
 * client must answer (the pending step's fields) or null when this user has nothing to pass.
 */
export interface SignInStep {
  challenge(user: UserRecord, ctx: RequestContext): Promise<Record<string, unknown> | null>;
  /** For a user with nothing to pass: a restriction on the session (a required factor not set up yet). */
  restriction?(user: UserRecord): Promise<SignInGrant["restricted"]>;
}

/** The links a registration's mail may carry. */
export interface RegisterLinks {
  verifyEmail: (token: string) => string;
  resetPassword: (token: string) => string;
  /** Where the owner of a taken address signs in. */
  signIn: string;
}

/** The outcome of a correct password: signed in, or a step still to pass. */
export type SignInResult<T> = { status: "signed-in"; user: UserRecord; session: T } | { status: "pending"; challenge: Record<string, unknown> };

export type SignInDeps = Pick<CoreDeps, "users" | "passwords" | "policy" | "events" | "serialize" | "now" | "limits" | "report"> & {
  verification: EmailVerification;
  recovery: Recovery;
  proof: PasswordProof;
  /** Device credentials (OWASP device cookies) for the lockout. */
  devices: DeviceCredentials;
  /** Registration answers the same for new and taken addresses (`preventEnumeration`). */
  preventEnumeration: boolean;
  /** Steps after the password, in order (none by default). */
  steps: readonly SignInStep[];
};

/** Registration and sign-in: the rules, free of any framework. */
export class SignIn {
  constructor(private readonly deps: SignInDeps) {}

  /**
   * Creates an account (`EMAIL_ALREADY_REGISTERED` when the address is taken), reports it, and
   * sends the verification mail in the background. With `start`, also signs the new user in.
   *
   * With `preventEnumeration`, a taken address is not an error: `user` is null, and both outcomes
   * cost the same before the answer (the policy check, one hash, one `create`) and after it (one
   * read of the account by its address, one token issued, one mail: the verification link to a
   * new address, a notice with a reset link to the owner of a taken one).
   */
  async register<T>(
    input: { email: string; password: string; name: string | null },
    ctx: RequestContext,
    links: RegisterLinks,
    start?: StartSession<T>,
  ): Promise<{ user: UserRecord | null; session: T | undefined }> {
    await this.deps.limits?.beforeRegister(ctx.ip);
    const errors = checkPassword(input.password, this.deps.policy);
    if (errors.length) throw new AuthError("VALIDATION_FAILED", { errors });
    const email = normalizeEmail(input.email);
    // Hashed whether or not the address is free: the taken case must not answer sooner.
    const passwordHash = await this.deps.passwords.hash(input.password);
    const user = await this.deps.users.create({ email, name: input.name, passwordHash, emailVerified: false, createdAt: this.deps.now() });
    if (this.deps.preventEnumeration) {
      if (user) this.deps.events.emit("onRegister", ctx, { user: this.deps.serialize(user) });
      if (this.deps.verification.mailing) this.mailAfterRegister(email, user !== null, links).catch((err: unknown) => this.deps.report("mailing after a registration", err));
      return { user: null, session: undefined };
    }
    if (!user) throw new AuthError("EMAIL_ALREADY_REGISTERED");
    this.deps.events.emit("onRegister", ctx, { user: this.deps.serialize(user) });
    // The account exists now, whatever happens to the email: a failure is reported and the user
    // can ask again with POST /request-verify-email.
    this.deps.verification.sendInBackground(user, links.verifyEmail);
    return { user, session: start ? await start(user, await this.grant(user)) : undefined };
  }

  /** `preventEnumeration`, after the answer: the same reads, token and mail for a new and a taken address. */
  private async mailAfterRegister(email: string, created: boolean, links: RegisterLinks): Promise<void> {
    const owner = await this.deps.users.findByEmail(email);
    if (!owner) return;
    if (created) await this.deps.verification.send(owner, links.verifyEmail);
    else await this.deps.recovery.noticeRegisterAttempt(owner, { reset: links.resetPassword, signIn: links.signIn });
  }

  /**
   * Checks the credentials and, when they are right and no further step is due, signs in with
   * `start`. One answer (`INVALID_CREDENTIALS`) for an unknown email and a wrong password;
   * while the account is locked for this client, `TOO_MANY_REQUESTS` whatever the password.
   */
  async login<T>(email: string, password: string, ctx: RequestContext, start: StartSession<T>): Promise<SignInResult<T>> {
    const normalized = normalizeEmail(email);
    // Only a credential issued for this very account counts; anything else is an untrusted client.
    const device = this.deps.devices.verify(ctx.deviceToken, normalized);
    const user = await this.authenticate(normalized, password, ctx, device);
    for (const step of this.deps.steps) {
      const challenge = await step.challenge(user, ctx);
      if (challenge) {
        // The password was right, the sign-in is not done: this client's earlier failures stay
        // counted, so wrong codes lead to the same lockout as wrong passwords.
        await this.deps.limits?.passwordCheckPassed(normalized, ctx.ip, device);
        return { status: "pending", challenge };
      }
    }
    const grant = await this.grant(user);
    // Handing the attempt back and starting the session are independent: one wait, not two.
    // The session decides the answer; a refund lost to a store fault leaves the attempt counted,
    // as a failure would be, which only ever errs toward the lockout.
    const [refund, session] = await Promise.allSettled([this.deps.limits?.passwordCheckSucceeded(normalized, ctx.ip, device), this.complete(user, ctx, start, grant)]);
    if (session.status === "rejected") throw session.reason;
    if (refund.status === "rejected") this.deps.report("handing back a login attempt", refund.reason);
    return { status: "signed-in", user, session: session.value };
  }

  /** What a sign-in with no step to pass may do (restricted while a required factor is missing). */
  private async grant(user: UserRecord): Promise<SignInGrant> {
    for (const step of this.deps.steps) {
      const restricted = await step.restriction?.(user);
      if (restricted) return { restricted };
    }
    return {};
  }

  /** Finishes a sign-in whose every step passed (a second factor calls this): starts the session, reports the login. */
  async complete<T>(user: UserRecord, ctx: RequestContext, start: StartSession<T>, grant: SignInGrant = {}): Promise<T> {
    const session = await start(user, grant);
    this.deps.events.emit("onLogin", ctx, { user: this.deps.serialize(user) });
    return session;
  }

  /**
   * A device credential for `user`, to hand to the client after a completed sign-in (a device
   * cookie in session mode, `device_token` in JWT mode): with it, that client keeps its own
   * attempt budget when someone else guesses at the account.
   */
  trustDevice(user: UserRecord): string {
    return this.deps.devices.issue(user.email);
  }

  /**
   * The user these credentials belong to. Exactly one hash verification runs in every case; the
   * counters are keyed by the normalized email whether or not an account has it. The attempt
   * stays counted: the caller hands it back once it knows whether a second step is due.
   */
  private async authenticate(email: string, password: string, ctx: RequestContext, device: string | undefined): Promise<UserRecord> {
    // The attempt stays counted: login hands it back once it knows whether a second step is due.
    const user = await this.deps.proof.prove(email, password, ctx, () => this.deps.users.findByEmail(email), { refund: false, device });
    if (user) return user;
    this.deps.events.emit("onLoginFailed", ctx, { email });
    throw new AuthError("INVALID_CREDENTIALS");
  }
}
