import type { Request } from "express";
import type { ResolvedOptions } from "../options.js";

/** The links emails carry, for one request. */
export interface Links {
  verifyEmail(token: string): string;
  resetPassword(token: string): string;
  confirmEmailChange(token: string): string;
}

/**
 * Email links, built from `appUrl` and the router's mount path, never from the request's `Host`
 * or `X-Forwarded-Host` (a forged header must not send a reset link to an attacker's site).
 * `mail.links` overrides any of them.
 */
export function linksFor(req: Request, opts: ResolvedOptions): Links {
  const base = opts.appUrl.href.replace(/\/+$/, "");
  const mount = `${base}${req.baseUrl}`;
  const q = (t: string) => `?token=${encodeURIComponent(t)}`;
  const custom = opts.mail.links;
  return {
    verifyEmail: custom.verifyEmail ?? ((t) => `${mount}/verify-email${q(t)}`),
    resetPassword: custom.resetPassword ?? ((t) => `${base}/reset-password${q(t)}`),
    confirmEmailChange: custom.confirmEmailChange ?? ((t) => `${mount}/account/confirm-email-change${q(t)}`),
  };
}
