import { timingSafeEqual } from "node:crypto";
import type { Request } from "express";
import { csrfSync } from "csrf-sync";
import { AuthError } from "../errors.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The POSTs of the emailed links' confirmation pages (paths under the mount point). The emailed
 * token is itself the proof that the request is intended (a forger would need it), and a plain
 * HTML form cannot send `X-CSRF-Token`: these need only pass the origin layer.
 */
const TOKEN_PROVES_INTENT = new Set(["/verify-email", "/account/confirm-email-change"]);

/** True for a POST of an emailed link's confirmation page, seen from inside the router. */
export function isEmailedLinkPost(req: Request): boolean {
  // Express matches paths case-insensitively and with a trailing slash: compare the same way.
  return req.method === "POST" && TOKEN_PROVES_INTENT.has(req.path.toLowerCase().replace(/\/+$/, ""));
}

/**
 * CSRF protection for session mode, in two layers:
 * 1. browser requests from another origin are refused on every unsafe endpoint, login included
 *    (`Origin` must be `appUrl`'s or a trusted one; without `Origin`, `Sec-Fetch-Site:
 *    cross-site` is refused);
 * 2. a session that holds a synchronizer token (every signed-in session, and anonymous ones
 *    made by `GET /csrf`) needs it back in `X-CSRF-Token` on unsafe requests.
 * Requests with neither a session nor an `Origin` (curl, server-to-server) pass.
 */
export class Csrf {
  private readonly sync = csrfSync({ size: 32 });

  constructor(private readonly allowedOrigins: ReadonlySet<string>) {}

  /** The session's token, made if missing (`rotate` replaces it: after every session id change). */
  token(req: Request, rotate = false): string {
    return this.sync.generateToken(req, rotate);
  }

  /** Throws `CSRF_INVALID` when an unsafe request fails either layer. */
  check(req: Request): void {
    if (SAFE_METHODS.has(req.method)) return;
    this.checkOrigin(req);
    const stored = req.session ? this.sync.getTokenFromState(req) : undefined;
    if (typeof stored !== "string") return;
    const sent = req.headers["x-csrf-token"];
    if (typeof sent !== "string" || !sameString(sent, stored)) throw new AuthError("CSRF_INVALID");
  }

  /**
   * The first layer alone: refuses a browser request from another origin. `opaqueSameOrigin`: a
   * page served with `Referrer-Policy: no-referrer` (the confirmation pages, whose URL holds the
   * token) makes the browser send `Origin: null` on its own form post; there the browser's
   * `Sec-Fetch-Site: same-origin` (which no page can set) vouches for it instead.
   */
  checkOrigin(req: Request, opaqueSameOrigin = false): void {
    const origin = req.headers.origin;
    if (opaqueSameOrigin && origin === "null" && req.headers["sec-fetch-site"] === "same-origin") return;
    if (origin !== undefined) {
      // Exact origin match: "https://app.example.com.evil.test" and "null" are refused.
      if (!this.allowedOrigins.has(origin)) throw new AuthError("CSRF_INVALID");
    } else if (req.headers["sec-fetch-site"] === "cross-site") {
      throw new AuthError("CSRF_INVALID");
    }
  }
}

/** Constant-time comparison, so the token cannot be learned byte by byte from response times. */
function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
