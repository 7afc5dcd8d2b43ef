import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import { csrfSync } from "csrf-sync";
import { AuthError } from "../errors.js";
import { readCookie } from "./request-context.js";

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

/** Where the pre-sign-in token of session mode lives: its cookie and the keys that sign it. */
export interface PreSignInCsrf {
  /** Signs with the first, verifies with all (rotation). */
  secrets: readonly string[];
  /** The cookie's name (`<session cookie name>.csrf`) and the session cookie's `SameSite` and `Secure`. */
  cookie: { name: string; sameSite: "lax" | "strict"; secure: boolean };
}

/**
 * CSRF protection for session mode, in two layers:
 * 1. browser requests from another origin are refused on every unsafe endpoint, login included
 *    (`Origin` must be `appUrl`'s or a trusted one; without `Origin`, `Sec-Fetch-Site:
 *    cross-site` is refused);
 * 2. a session that holds a synchronizer token (every signed-in session) needs it back in
 *    `X-CSRF-Token` on unsafe requests; a request without one that carries the pre-sign-in
 *    cookie of `GET /csrf` needs that cookie's value back (signed double submit), so anonymous
 *    visitors get a token without a session being stored for them.
 * Requests with neither (no session token, no CSRF cookie) and without an `Origin` (curl,
 * server-to-server) pass.
 */
export class Csrf {
  private readonly sync = csrfSync({ size: 32 });

  /**
   * @param preSignIn - The pre-sign-in token's cookie and keys; without it `GET /csrf` of an
   *   anonymous visitor is a `TypeError` (a strategy test that needs only the session layer).
   */
  constructor(
    private readonly allowedOrigins: ReadonlySet<string>,
    private readonly preSignIn?: PreSignInCsrf,
  ) {}

  /**
   * The session's token, made if missing (`rotate` replaces it: after every session id change).
   * For signed-in sessions only: writing it into an anonymous session would make express-session store it.
   */
  token(req: Request, rotate = false): string {
    return this.sync.generateToken(req, rotate);
  }

  /**
   * The token `GET /csrf` answers: the session's when it holds one (or `signedIn`: made then),
   * else a fresh pre-sign-in token, set as its cookie on `res`. The latter stores nothing: it
   * is its own proof (random + HMAC), and a sign-in makes a new session token that replaces it.
   */
  issue(req: Request, res: Response, signedIn: boolean): string {
    const stored = this.stored(req);
    if (stored !== undefined) return stored;
    if (signedIn) return this.token(req);
    const pre = this.preSignIn;
    if (!pre) throw new TypeError("Csrf: no pre-sign-in settings, cannot answer an anonymous GET /csrf");
    const token = signed(randomBytes(32).toString("base64url"), pre.secrets[0]!);
    // No Max-Age: it ends with the browser session, like the session cookie.
    res.cookie(pre.cookie.name, token, { httpOnly: true, path: "/", sameSite: pre.cookie.sameSite, secure: pre.cookie.secure });
    return token;
  }

  /** Throws `CSRF_INVALID` when an unsafe request fails either layer. */
  check(req: Request): void {
    if (SAFE_METHODS.has(req.method)) return;
    this.checkOrigin(req);
    const sent = req.headers["x-csrf-token"];
    const stored = this.stored(req);
    if (stored !== undefined) {
      if (typeof sent !== "string" || !sameString(sent, stored)) throw new AuthError("CSRF_INVALID");
      return;
    }
    const cookie = this.preSignIn ? readCookie(req.headers.cookie, this.preSignIn.cookie.name) : undefined;
    if (cookie === undefined) return;
    // Double submit: a forger can make the browser send the cookie but cannot read it to set the
    // header; the HMAC stops a cookie planted by a sibling subdomain with a made-up value.
    if (typeof sent !== "string" || !sameString(sent, cookie) || !this.preSignIn!.secrets.some((secret) => isSigned(cookie, secret))) {
      throw new AuthError("CSRF_INVALID");
    }
  }

  private stored(req: Request): string | undefined {
    const stored = req.session ? this.sync.getTokenFromState(req) : undefined;
    return typeof stored === "string" ? stored : undefined;
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

const TOKEN_PURPOSE = "gatehouse/csrf/pre-sign-in:";

function mac(nonce: string, secret: string): string {
  return createHmac("sha256", secret).update(TOKEN_PURPOSE + nonce).digest("base64url");
}

function signed(nonce: string, secret: string): string {
  return `${nonce}.${mac(nonce, secret)}`;
}

function isSigned(token: string, secret: string): boolean {
  const dot = token.indexOf(".");
  if (dot <= 0) return false;
  // Constant time: the MAC must not be learnable byte by byte.
  return sameString(token.slice(dot + 1), mac(token.slice(0, dot), secret));
}
