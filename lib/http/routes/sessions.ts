import type { Router } from "express";
import type { HttpContext } from "../context.js";

/** GET /sessions, DELETE /sessions/:id, DELETE /sessions: the signed-in user's own sessions. */
export function sessionRoutes(router: Router, ctx: HttpContext): void {
  const { strategy, signedIn, emit } = ctx;

  router.get("/sessions", signedIn, async (req, res) => {
    res.json({ sessions: await strategy.list(req) });
  });

  router.delete("/sessions/:id", signedIn, async (req, res) => {
    const user = req.user!;
    await strategy.revokeOne(req, res, String(req.params.id));
    emit("onSessionRevoked", req, { user, count: 1 });
    res.status(204).end();
  });

  router.delete("/sessions", signedIn, async (req, res) => {
    const user = req.user!;
    const count = await strategy.revokeAll(user.id, strategy.currentId(req));
    emit("onSessionRevoked", req, { user, count });
    res.status(204).end();
  });
}
