import { AuthError, isAuthError } from "../../errors.js";
import type { RouteHandler, RouteTable } from "../route-table.js";
import type { Services } from "../wiring.js";
import { fields } from "../input.js";
import { linksFor } from "../links.js";
import { requestContext } from "../request-context.js";

/** POST /request-verify-email, GET and POST /verify-email. The rules live in core/verification.ts. */
export function verificationRoutes(routes: RouteTable, services: Services): void {
  const { verification, strategy, serialize, opts } = services;

  const requestVerifyEmail: RouteHandler = async (req, res) => {
    await verification.resend(req.user!.id, linksFor(req, opts).verifyEmail, requestContext(req));
    res.status(202).end();
  };
  routes.route(
    {
      method: "post",
      path: "/request-verify-email",
      summary: "Send the verification email again",
      description: "The new link replaces the older one.",
      auth: true,
      success: { status: 202, description: "The email is on its way." },
      errors: ["UNAUTHENTICATED", "EMAIL_ALREADY_VERIFIED", "TOO_MANY_REQUESTS"],
    },
    requestVerifyEmail,
  );

  /** Verifies with the token; this request's session (if it is the user's) sees it at once. */
  const verify: RouteHandler = async (req, res, input) => {
    const user = await verification.verify(input.token as string, requestContext(req), (changed) => strategy.updateUser(req, changed));
    res.json({ user: serialize(user) });
  };

  const redirect = opts.mail.verifiedRedirect;
  const verifyLink: RouteHandler = async (req, res) => {
    // The token is in this page's URL: keep it out of the Referer of anything the page loads.
    res.setHeader("Referrer-Policy", "no-referrer");
    const token = req.query.token;
    try {
      // One string only: `?token=a&token=b` (parameter pollution) is an invalid token.
      if (typeof token !== "string" || token.length > 256) throw new AuthError("INVALID_TOKEN");
      if (!redirect) return await verify(req, res, { token });
      await verification.verify(token, requestContext(req), (changed) => strategy.updateUser(req, changed));
      res.redirect(303, withStatus(redirect, "verified"));
    } catch (err) {
      if (!redirect || !isAuthError(err, "INVALID_TOKEN")) throw err;
      res.redirect(303, withStatus(redirect, "invalid"));
    }
  };
  routes.route(
    {
      method: "get",
      path: "/verify-email",
      summary: "Verify the email address (the emailed link)",
      description: "Answers with `Referrer-Policy: no-referrer`. With `mail.verifiedRedirect`, redirects there with `?status=verified` or `?status=invalid` instead.",
      query: [{ name: "token", description: "The token from the email (exactly one)." }],
      success: { status: 200, description: "The verified user.", shape: "UserAnswer" },
      alternatives: redirect ? [{ status: 303, description: "Redirect to `mail.verifiedRedirect` with the outcome (never the token)." }] : undefined,
      errors: ["INVALID_TOKEN", "TOO_MANY_REQUESTS"],
    },
    verifyLink,
  );

  routes.route(
    {
      method: "post",
      path: "/verify-email",
      summary: "Verify the email address",
      body: [fields.token()],
      success: { status: 200, description: "The verified user.", shape: "UserAnswer" },
      errors: ["INVALID_TOKEN", "VALIDATION_FAILED", "TOO_MANY_REQUESTS"],
    },
    verify,
  );
}

/** The redirect target with the outcome in its query (never the token). */
function withStatus(target: URL, status: "verified" | "invalid"): string {
  const url = new URL(target);
  url.searchParams.set("status", status);
  return url.href;
}
