import type { Router } from "express";
import type { HttpContext } from "../context.js";

/** GET /sessions, DELETE /sessions/:id, DELETE /sessions: the signed-in user's own sessions. */
export function sessionRoutes(router: Router, ctx: HttpContext): void {
  const { sessions, signedIn, emit } = ctx;

  router.get("/sessions", signedIn, async (req, res) => {
    res.json({ sessions: await sessions.list(req) });
  });

  router.delete("/sessions/:id", signedIn, async (req, res) => {
    const user = req.user!;
    await sessions.revokeOne(req, res, String(req.params.id));
    emit("onSessionRevoked", req, { user, count: 1 });
    res.status(204).end();
  });

  router.delete("/sessions", signedIn, async (req, res) => {
    const user = req.user!;
    const count = await sessions.revokeAll(user.id, req.sessionID);
    emit("onSessionRevoked", req, { user, count });
    res.status(204).end();
  });
}
