// `express4` is the devDependency alias npm:express@^4 (npm run test:express4); its API is the one
// the specs use from @types/express.
declare module "express4" {
  import express from "express";
  export default express;
}
