/**
 * Conformance suites for your own adapters (`gatehouse/testing`). Run them from mocha spec files.
 */
export { userStoreConformance, type UserStoreConformanceOptions } from "./user-store-conformance.js";
export { passwordHasherConformance } from "./password-hasher-conformance.js";
export { tokenStoreConformance } from "./token-store-conformance.js";
