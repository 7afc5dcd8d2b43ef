import type { Request, Response } from "express";
import { AuthError, isAuthError } from "../../errors.js";
import type { UserRecord } from "../../types.js";
import type { Api } from "../api.js";
import type { HttpContext } from "../context.js";
import { fields } from "../input.js";
import { linksFor } from "../links.js";

/** POST /request-verify-email, GET and POST /verify-email. The rules live in core/verification.ts. */
export function verificationRoutes(api: Api, ctx: HttpContext): void {
  const { verification, users, strategy, serialize, emit, opts } = ctx;

  api.route(
    {
      method: "post",
      path: "/request-verify-email",
      summary: "Send the verification email again",
      description: "The new link replaces the older one.",
      auth: true,
      success: { status: 202, description: "The email is on its way." },
      errors: ["UNAUTHENTICATED", "CSRF_INVALID", "EMAIL_ALREADY_VERIFIED", "TOO_MANY_REQUESTS"],
    },
    async (req, res) => {
      // The session's copy of the user may be a minute old: decide on the stored record.
      const user = await users.findById(req.user!.id);
      if (!user) throw new AuthError("UNAUTHENTICATED");
      await verification.resend(user, linksFor(req, opts).verifyEmail, req.ip);
      res.status(202).end();
    },
  );

  /** Updates the sessions' copies of the user and answers it. */
  const verified = async (req: Request, res: Response, user: UserRecord) => {
    await strategy.updateUser(req, user);
    emit("onEmailVerified", req, { user: serialize(user) });
    res.json({ user: serialize(user) });
  };

  const redirect = opts.verifyEmailRedirect;
  api.route(
    {
      method: "get",
      path: "/verify-email",
      summary: "Verify the email address (the emailed link)",
      description: "Answers with `Referrer-Policy: no-referrer`. With `verifyEmailRedirect`, redirects there with `?status=verified` or `?status=invalid` instead.",
      query: [{ name: "token", description: "The token from the email (exactly one)." }],
      success: { status: 200, description: "The verified user.", shape: "UserAnswer" },
      alternatives: redirect ? [{ status: 303, description: "Redirect to `verifyEmailRedirect` with the outcome (never the token)." }] : undefined,
      errors: ["INVALID_TOKEN", "TOO_MANY_REQUESTS"],
    },
    async (req, res) => {
      // The token is in this page's URL: keep it out of the Referer of anything the page loads.
      res.setHeader("Referrer-Policy", "no-referrer");
      const token = req.query.token;
      try {
        // One string only: `?token=a&token=b` (parameter pollution) is an invalid token.
        if (typeof token !== "string" || token.length > 256) throw new AuthError("INVALID_TOKEN");
        const user = await verification.verify(token, req.ip);
        if (!redirect) return verified(req, res, user);
        await strategy.updateUser(req, user);
        emit("onEmailVerified", req, { user: serialize(user) });
        res.redirect(303, withStatus(redirect, "verified"));
      } catch (err) {
        if (!redirect || !isAuthError(err, "INVALID_TOKEN")) throw err;
        res.redirect(303, withStatus(redirect, "invalid"));
      }
    },
  );

  api.route(
    {
      method: "post",
      path: "/verify-email",
      summary: "Verify the email address",
      body: [fields.token()],
      success: { status: 200, description: "The verified user.", shape: "UserAnswer" },
      errors: ["INVALID_TOKEN", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    async (req, res, input) => {
      await verified(req, res, await verification.verify(input.token as string, req.ip));
    },
  );
}

/** The redirect target with the outcome in its query (never the token). */
function withStatus(target: URL, status: "verified" | "invalid"): string {
  const url = new URL(target);
  url.searchParams.set("status", status);
  return url.href;
}
