import type { Request, RequestHandler, Response, Router } from "express";
import type { ErrorCode } from "../errors.js";
import { validate, type Field } from "./input.js";
import { OAuthEndpoints } from "./oauth.js";

/** The names of the answer shapes in the OpenAPI document (components/schemas). */
export type Shape =
  | "UserAnswer"
  | "SessionLogin"
  | "JwtLogin"
  | "TokenPair"
  | "CsrfToken"
  | "Valid"
  | "Sessions"
  | "Jwks"
  | "MfaChallenge"
  | "MfaStatus"
  | "TotpSetup"
  | "RecoveryCodes"
  | "OpenApi";

/** A documented answer; `html`: browsers get a page (text/html) instead of the JSON shape. */
export interface Answer {
  status: number;
  description: string;
  shape?: Shape;
  html?: boolean;
}

/**
 * A route as the router registers it and as the OpenAPI document describes it: one definition
 * for both, so the document cannot drift from the code.
 */
export interface RouteDef {
  method: "get" | "post" | "delete";
  /** Express path under the mount point, e.g. `/sessions/:id`. */
  path: string;
  summary: string;
  description?: string;
  /** Needs a signed-in user (cookie session or bearer token). */
  auth?: boolean;
  /** With `auth`: also open to a sign-in restricted to enrolling a second factor (`mfa.required`). */
  restricted?: boolean;
  /** With `auth`: a sensitive action, needing an authentication within `mfa.stepUpWindow` (403 `REAUTH_REQUIRED`). */
  recentAuth?: boolean;
  /** Body fields; `[]` parses a body without required fields. */
  body?: Field[];
  /** The documented body schema, where the fields alone do not say it (one variant per grant of `/token`). */
  bodySchema?: Record<string, unknown>;
  /** Also accept `application/x-www-form-urlencoded` (OAuth clients send forms). */
  form?: boolean;
  /** An OAuth endpoint: its errors follow RFC 6749 §5.2 (see oauth.ts). */
  oauth?: boolean;
  /** Query parameters (documented; the handler reads them). */
  query?: { name: string; description: string }[];
  success: Answer;
  /** Other documented answers: redirects, alternative successes. */
  alternatives?: Answer[];
  /**
   * What the handler itself (the core rule behind it) can answer. What the guard, the body parser,
   * validation and the router's own middleware can answer is added from the chain the route gets.
   */
  errors: ErrorCode[];
}

/** A registered route: its definition and every code its middleware chain and handler can answer. */
export interface RegisteredRoute extends RouteDef {
  raises: ErrorCode[];
}

/** A middleware of a route's chain and the codes it can refuse a request with. */
export interface Guard {
  handler: RequestHandler;
  raises: readonly ErrorCode[];
}

export type RouteHandler = (req: Request, res: Response, input: Record<string, unknown>) => Promise<void> | void;

/** Registers routes on the router and keeps their definitions for the OpenAPI document. */
export class RouteTable {
  readonly routes: RegisteredRoute[] = [];
  /** The routes whose errors follow RFC 6749 (the error handler asks). */
  readonly oauth = new OAuthEndpoints();

  constructor(
    private readonly router: Router,
    private readonly guards: { signedIn: Guard; signedInRestricted: Guard; recentlySignedIn: Guard; json: Guard; formOrJson: Guard },
    /** What the router's middleware before every route can answer (the strategy's load, CSRF on unsafe methods). */
    private readonly before: (def: RouteDef) => readonly ErrorCode[],
    /** Codes that cannot happen with these options (429 with `rateLimits: false`). */
    private readonly unreachable: readonly ErrorCode[] = [],
  ) {}

  route(def: RouteDef, handler: RouteHandler): void {
    const chain: RequestHandler[] = [];
    const raises: ErrorCode[] = [...this.before(def)];
    const use = (guard: Guard) => {
      chain.push(guard.handler);
      raises.push(...guard.raises);
    };
    if (def.auth) use(def.recentAuth ? this.guards.recentlySignedIn : def.restricted ? this.guards.signedInRestricted : this.guards.signedIn);
    if (def.body) use(def.form ? this.guards.formOrJson : this.guards.json);
    if (def.body?.some((f) => !f.lenient)) raises.push("VALIDATION_FAILED");
    raises.push(...def.errors);
    // Validation chains are built once per route; express-validator runs them per request.
    const validators = def.body?.map((f) => f.chain());
    chain.push(async (req, res) => {
      const input = validators ? await validate(req, validators) : {};
      await handler(req, res, input);
    });
    this.router[def.method](def.path, ...chain);
    if (def.oauth) this.oauth.add(def.method, def.path);
    this.routes.push({ ...def, raises: [...new Set(raises)].filter((code) => !this.unreachable.includes(code)) });
  }
}
