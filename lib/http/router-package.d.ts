// The `router` package (the router of Express 5, usable under Express 4 too) ships no types; its
// instances are what express's own `Router` type describes.
declare module "router" {
  import type { Router } from "express";
  function createRouter(options?: { caseSensitive?: boolean; mergeParams?: boolean; strict?: boolean }): Router;
  export default createRouter;
}
