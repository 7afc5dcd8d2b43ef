import type { Router } from "express";
import { AuthError } from "../../errors.js";
import type { HttpContext } from "../context.js";
import { emailField, nameField, passwordField, validate } from "../input.js";

/** POST /register, /login, /logout, /refresh; GET /me, /csrf. The rules live in core/accounts.ts. */
export function accountRoutes(router: Router, ctx: HttpContext): void {
  const { accounts, sessions, csrf, serialize, body, requireUser } = ctx;

  router.post("/register", body, async (req, res) => {
    const input = await validate(req, [emailField(), passwordField(), nameField()]);
    const user = await accounts.register({
      email: input.email as string,
      password: input.password as string,
      name: (input.name as string | undefined) ?? null,
    });
    if (!ctx.opts.signInOnRegister) {
      res.status(201).json({ user: serialize(user) });
      return;
    }
    const csrfToken = await sessions.signIn(req, user);
    res.status(201).json({ user: serialize(user), csrfToken });
  });

  router.post("/login", body, async (req, res) => {
    const input = await validate(req, [emailField(), passwordField()]);
    const user = await accounts.authenticate(input.email as string, input.password as string);
    const csrfToken = await sessions.signIn(req, user);
    res.json({ user: serialize(user), csrfToken });
  });

  router.post("/logout", requireUser, async (req, res) => {
    await sessions.signOut(req, res);
    res.status(204).end();
  });

  router.post("/refresh", requireUser, async (req, res) => {
    res.json(await sessions.rotate(req));
  });

  router.get("/me", requireUser, (req, res) => {
    res.json({ user: req.user });
  });

  router.get("/csrf", (req, res) => {
    if (!req.session) throw new AuthError("SERVICE_UNAVAILABLE", { retryAfter: 1 });
    res.json({ csrfToken: csrf.token(req) });
  });
}
