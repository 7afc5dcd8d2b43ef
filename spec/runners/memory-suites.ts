import { tokenStoreConformance, userStoreConformance, type TestRunner } from "../../lib/testing/index.js";
import { MemoryTokenStore, MemoryUserStore } from "../../lib/index.js";

/**
 * The memory stores' conformance suites, declared on `runner` (or on the runner the suites find by
 * themselves): `npm run test:runners` runs them under mocha, Vitest and node:test.
 */
export function memorySuites(runner?: TestRunner): void {
  userStoreConformance("MemoryUserStore", () => new MemoryUserStore(), runner);
  tokenStoreConformance("MemoryTokenStore", () => new MemoryTokenStore(), runner);
}
