/**
 * Conformance suites for your own adapters (`express-gatehouse/testing`). They run under mocha,
 * Vitest, Jest and node:test.
 */
export { userStoreConformance, type UserStoreConformanceOptions } from "./user-store-conformance.js";
export { passwordHasherConformance } from "./password-hasher-conformance.js";
export { tokenStoreConformance } from "./token-store-conformance.js";
export type { TestRunner } from "./runner.js";
