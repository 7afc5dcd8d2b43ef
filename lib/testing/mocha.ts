/** The part of mocha's globals the conformance suites use. */
export interface MochaGlobals {
  describe(title: string, fn: (this: { timeout(ms: number): void }) => void): void;
  it(title: string, fn: () => Promise<void> | void): void;
  beforeEach(fn: () => Promise<void> | void): void;
}

/**
 * The mocha globals, looked up when a suite is declared so that the package needs neither mocha
 * nor its types to build or load. `suite` names the caller in the error.
 */
export function mochaGlobals(suite: string): MochaGlobals {
  const g = globalThis as Partial<MochaGlobals>;
  if (typeof g.describe !== "function" || typeof g.it !== "function" || typeof g.beforeEach !== "function") {
    throw new TypeError(`gatehouse/testing: call ${suite} from a spec file run by mocha`);
  }
  return g as MochaGlobals;
}
