// The consumer apps the package spec installs the tarball into, other than the README's programs.

/** A plain ESM JavaScript app in JWT mode. */
export const ESM_APP = `// esm.mjs
import express from "express";
import { Redis } from "ioredis";
import { authRouter } from "express-gatehouse";

const app = express();
const auth = authRouter({
  redis: new Redis(process.env.REDIS_URL, { enableOfflineQueue: false }),
  secret: process.env.AUTH_SECRET,
  appUrl: "http://localhost:3000",
  mode: "jwt",
});
app.use("/auth", auth);
app.get("/api/profile", auth.requireUser, (req, res) => res.json({ user: req.user }));
app.listen(Number(process.env.PORT), () => console.log("Listening on " + process.env.PORT));
`;

/** A CommonJS app: require() of the ESM package (Node.js >= 20.19), the testing entry point too. */
export const CJS_APP = `// cjs.cjs
const express = require("express");
const { Redis } = require("ioredis");
const { authRouter, problemErrorHandler } = require("express-gatehouse");
const { userStoreConformance } = require("express-gatehouse/testing");

if (typeof userStoreConformance !== "function") throw new Error("express-gatehouse/testing did not load");
const app = express();
app.use(express.json());
app.use(problemErrorHandler());
const auth = authRouter({
  redis: new Redis(process.env.REDIS_URL, { enableOfflineQueue: false }),
  secret: process.env.AUTH_SECRET,
  appUrl: "http://localhost:3000",
});
app.use("/auth", auth);
app.get("/api/profile", auth.requireUser, (req, res) => res.json({ user: req.user }));
app.listen(Number(process.env.PORT), () => console.log("Listening on " + process.env.PORT));
`;

/**
 * An Express 4 app on ioredis 5, strict TypeScript, with @types/passport installed beside: the
 * types of both lines, \`req.user\` merging with Passport's, and async errors of protected
 * handlers reaching the app's error handler (Express 4's router does not catch rejections).
 */
export const EXPRESS4_APP = `// server.ts
import express, { type NextFunction, type Request, type Response } from "express";
import { Redis } from "ioredis";
import { authRouter, problemErrorHandler, type SignedInRequest } from "express-gatehouse";

const app = express();
app.use(express.json());
app.use(express.urlencoded({ extended: true }));
app.use(problemErrorHandler());
const auth = authRouter({
  redis: new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { enableOfflineQueue: false }),
  secret: process.env.AUTH_SECRET!,
  appUrl: "http://localhost:3000",
});
app.use("/auth", auth);
app.get("/api/profile", auth.requireUser, (req, res) => {
  const email: string | undefined = req.user?.email;
  res.json({ email });
});
const hello = async (req: SignedInRequest, res: Response) => {
  res.json({ hello: req.user.email });
};
app.get("/api/hello", auth.protect(hello));
app.get("/api/fail", auth.protect(async () => {
  throw new Error("async failure");
}));
app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
  res.status(500).json({ appHandled: err.message });
});
app.listen(Number(process.env.PORT), () => console.log("Listening on " + process.env.PORT));
`;

/** The strict TypeScript settings the consumer apps are checked with. */
export const TSCONFIG = JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      strict: true,
      noEmit: true,
      skipLibCheck: false,
    },
    include: ["*.ts"],
  },
  null,
  2,
);
