import type { Router } from "express";
import type { HttpContext } from "../context.js";
import { emailField, passwordField, tokenField, validate } from "../input.js";
import { linksFor } from "../links.js";

/** POST /forgot-password, /forgot-password/validate, /reset-password. The rules live in core/recovery.ts. */
export function recoveryRoutes(router: Router, ctx: HttpContext): void {
  const { recovery, body, serialize, emit, opts } = ctx;

  router.post("/forgot-password", body, async (req, res) => {
    const input = await validate(req, [emailField()]);
    await recovery.forgot(input.email as string, linksFor(req, opts).resetPassword, req.ip);
    // The same answer whether or not an account has this email.
    res.status(202).end();
  });

  router.post("/forgot-password/validate", body, async (req, res) => {
    const input = await validate(req, [tokenField()]);
    await recovery.validate(input.token as string, req.ip);
    res.json({ valid: true });
  });

  router.post("/reset-password", body, async (req, res) => {
    const input = await validate(req, [tokenField(), passwordField()]);
    const user = await recovery.reset(input.token as string, input.password as string, req.ip);
    emit("onPasswordReset", req, { user: serialize(user) });
    res.status(204).end();
  });
}
