import type { Api } from "../api.js";
import type { HttpContext } from "../context.js";

/** GET /sessions, DELETE /sessions/:id, DELETE /sessions: the signed-in user's own sessions. */
export function sessionRoutes(api: Api, ctx: HttpContext): void {
  const { strategy, emit, opts } = ctx;
  const what = opts.mode === "jwt" ? "refresh-token families" : "sessions";

  api.route(
    {
      method: "get",
      path: "/sessions",
      summary: `The user's live ${what}`,
      auth: true,
      success: { status: 200, description: "Newest first; `current` marks this request's.", shape: "Sessions" },
      errors: ["UNAUTHENTICATED"],
    },
    async (req, res) => {
      res.json({ sessions: await strategy.list(req) });
    },
  );

  api.route(
    {
      method: "delete",
      path: "/sessions/:id",
      summary: "End one of the user's sessions",
      description: "`id` is a handle from GET /sessions; another user's handle is 404.",
      auth: true,
      success: { status: 204, description: "Ended." },
      errors: ["UNAUTHENTICATED", "CSRF_INVALID", "NOT_FOUND"],
    },
    async (req, res) => {
      const user = req.user!;
      await strategy.revokeOne(req, res, String(req.params.id));
      emit("onSessionRevoked", req, { user, count: 1 });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: "delete",
      path: "/sessions",
      summary: "End every other session",
      auth: true,
      success: { status: 204, description: "Every session but this one ended." },
      errors: ["UNAUTHENTICATED", "CSRF_INVALID"],
    },
    async (req, res) => {
      const user = req.user!;
      const count = await strategy.revokeAll(user.id, strategy.currentId(req));
      emit("onSessionRevoked", req, { user, count });
      res.status(204).end();
    },
  );
}
