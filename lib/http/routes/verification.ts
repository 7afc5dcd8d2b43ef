import type { Request, Response, Router } from "express";
import { AuthError, isAuthError } from "../../errors.js";
import type { UserRecord } from "../../types.js";
import type { HttpContext } from "../context.js";
import { tokenField, validate } from "../input.js";
import { linksFor } from "../links.js";

/** POST /request-verify-email, GET and POST /verify-email. The rules live in core/verification.ts. */
export function verificationRoutes(router: Router, ctx: HttpContext): void {
  const { verification, users, strategy, serialize, body, signedIn, emit, opts } = ctx;

  router.post("/request-verify-email", signedIn, async (req, res) => {
    // The session's copy of the user may be a minute old: decide on the stored record.
    const user = await users.findById(req.user!.id);
    if (!user) throw new AuthError("UNAUTHENTICATED");
    await verification.resend(user, linksFor(req, opts).verifyEmail, req.ip);
    res.status(202).end();
  });

  /** Marks the session's copy of the user verified when the link is opened in the signed-in browser. */
  const verified = async (req: Request, res: Response, user: UserRecord) => {
    await strategy.updateUser(req, user);
    emit("onEmailVerified", req, { user: serialize(user) });
    res.json({ user: serialize(user) });
  };

  router.get("/verify-email", async (req, res) => {
    // The token is in this page's URL: keep it out of the Referer of anything the page loads.
    res.setHeader("Referrer-Policy", "no-referrer");
    const token = req.query.token;
    const redirect = opts.verifyEmailRedirect;
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
  });

  router.post("/verify-email", body, async (req, res) => {
    const input = await validate(req, [tokenField()]);
    await verified(req, res, await verification.verify(input.token as string, req.ip));
  });
}

/** The redirect target with the outcome in its query (never the token). */
function withStatus(target: URL, status: "verified" | "invalid"): string {
  const url = new URL(target);
  url.searchParams.set("status", status);
  return url.href;
}
