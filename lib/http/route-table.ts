import type { Request, RequestHandler, Response, Router } from "express";
import type { ErrorCode } from "../errors.js";
import { validate, type Field } from "./input.js";

/** The names of the answer shapes in the OpenAPI document (components/schemas). */
export type Shape = "UserAnswer" | "SessionLogin" | "JwtLogin" | "TokenPair" | "CsrfToken" | "Valid" | "Sessions" | "Jwks";

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
  /** JSON body fields; `[]` parses a body without required fields. */
  body?: Field[];
  /** Also accept `application/x-www-form-urlencoded` (POST /token). */
  form?: boolean;
  /** Query parameters (documented; the handler reads them). */
  query?: { name: string; description: string }[];
  success: Answer;
  /** Other documented answers: redirects, alternative successes. */
  alternatives?: Answer[];
  errors: ErrorCode[];
}

export type RouteHandler = (req: Request, res: Response, input: Record<string, unknown>) => Promise<void> | void;

/** Registers routes on the router and keeps their definitions for the OpenAPI document. */
export class RouteTable {
  readonly routes: RouteDef[] = [];

  constructor(
    private readonly router: Router,
    private readonly guards: { signedIn: RequestHandler; json: RequestHandler; formOrJson: RequestHandler },
  ) {}

  route(def: RouteDef, handler: RouteHandler): void {
    const chain: RequestHandler[] = [];
    if (def.auth) chain.push(this.guards.signedIn);
    if (def.body) chain.push(def.form ? this.guards.formOrJson : this.guards.json);
    // Validation chains are built once per route; express-validator runs them per request.
    const validators = def.body?.map((f) => f.chain());
    chain.push(async (req, res) => {
      const input = validators ? await validate(req, validators) : {};
      await handler(req, res, input);
    });
    this.router[def.method](def.path, ...chain);
    this.routes.push(def);
  }
}
