import type { CoreDeps } from "./deps.js";
import { AuthError } from "../errors.js";
import type { RequestContext, UserRecord } from "../types.js";
import { normalizeEmail } from "./email-address.js";
import { checkPassword } from "./password-policy.js";
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

/** The outcome of a correct password: signed in, or a step still to pass. */
export type SignInResult<T> = { status: "signed-in"; user: UserRecord; session: T } | { status: "pending"; challenge: Record<string, unknown> };

export type SignInDeps = Pick<CoreDeps, "users" | "passwords" | "policy" | "events" | "serialize" | "now" | "limits"> & {
  verification: EmailVerification;
  proof: PasswordProof;
  /** Steps after the password, in order (none by default). */
  steps: readonly SignInStep[];
};

/** Registration and sign-in: the rules, free of any framework. */
export class SignIn {
  constructor(private readonly deps: SignInDeps) {}

  /**
   * Creates an account (`EMAIL_ALREADY_REGISTERED` when the address is taken), reports it, and
   * sends the verification mail in the background. With `start`, also signs the new user in.
   */
  async register<T>(
    input: { email: string; password: string; name: string | null },
    ctx: RequestContext,
    verifyLink: (token: string) => string,
    start?: StartSession<T>,
  ): Promise<{ user: UserRecord; session: T | undefined }> {
    await this.deps.limits?.beforeRegister(ctx.ip);
    const errors = checkPassword(input.password, this.deps.policy);
    if (errors.length) throw new AuthError("VALIDATION_FAILED", { errors });
    const passwordHash = await this.deps.passwords.hash(input.password);
    const user = await this.deps.users.create({
      email: normalizeEmail(input.email),
      name: input.name,
      passwordHash,
      emailVerified: false,
      createdAt: this.deps.now(),
    });
    if (!user) throw new AuthError("EMAIL_ALREADY_REGISTERED");
    this.deps.events.emit("onRegister", ctx, { user: this.deps.serialize(user) });
    // The account exists now, whatever happens to the email: a failure is reported and the user
    // can ask again with POST /request-verify-email.
    this.deps.verification.sendInBackground(user, verifyLink);
    return { user, session: start ? await start(user, await this.grant(user)) : undefined };
  }

  /**
   * Checks the credentials and, when they are right and no further step is due, signs in with
   * `start`. One answer (`INVALID_CREDENTIALS`) for an unknown email and a wrong password;
   * while the account is locked for this client, `TOO_MANY_REQUESTS` whatever the password.
   */
  async login<T>(email: string, password: string, ctx: RequestContext, start: StartSession<T>): Promise<SignInResult<T>> {
    const normalized = normalizeEmail(email);
    const user = await this.authenticate(normalized, password, ctx);
    for (const step of this.deps.steps) {
      const challenge = await step.challenge(user, ctx);
      if (challenge) {
        // The password was right, the sign-in is not done: this client's earlier failures stay
        // counted, so wrong codes lead to the same lockout as wrong passwords.
        await this.deps.limits?.passwordCheckPassed(normalized, ctx.ip);
        return { status: "pending", challenge };
      }
    }
    await this.deps.limits?.passwordCheckSucceeded(normalized, ctx.ip);
    return { status: "signed-in", user, session: await this.complete(user, ctx, start, await this.grant(user)) };
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
   * The user these credentials belong to. Exactly one hash verification runs in every case; the
   * counters are keyed by the normalized email whether or not an account has it. The attempt
   * stays counted: the caller hands it back once it knows whether a second step is due.
   */
  private async authenticate(email: string, password: string, ctx: RequestContext): Promise<UserRecord> {
    // The attempt stays counted: login hands it back once it knows whether a second step is due.
    const user = await this.deps.proof.prove(email, password, ctx, () => this.deps.users.findByEmail(email), { refund: false });
    if (user) return user;
    this.deps.events.emit("onLoginFailed", ctx, { email });
    throw new AuthError("INVALID_CREDENTIALS");
  }
}
