/**
 * The test functions a conformance suite declares its tests with. mocha's, Vitest's, Jest's and
 * node:test's `describe`, `it` and `beforeEach` all fit: pass them, e.g.
 * `import { describe, it, beforeEach } from "vitest"`, or leave them out to have them found.
 */
export interface TestRunner {
  describe(title: string, fn: () => void): unknown;
  it(title: string, fn: () => Promise<void> | void): unknown;
  beforeEach(fn: () => Promise<void> | void): unknown;
}

/** Vitest and Jest take a timeout in milliseconds after the function; mocha and node:test ignore it. */
type WithTimeout<F> = F extends (...args: infer A) => unknown ? (...args: [...A, number]) => unknown : never;

/**
 * The runner a suite declares its tests with: the one given, else the globals (mocha, Jest,
 * Vitest with `globals: true`), else node:test. Each test gets `timeoutMs` on every runner that
 * has a per-test timeout (Vitest and Jest through the argument, mocha through the returned test;
 * node:test has none by default). `suite` names the caller in errors.
 */
export function testRunner(suite: string, timeoutMs: number, given?: TestRunner): TestRunner {
  const base = given ?? found(suite);
  const it = base.it.bind(base) as WithTimeout<TestRunner["it"]>;
  const beforeEach = base.beforeEach.bind(base) as WithTimeout<TestRunner["beforeEach"]>;
  return {
    describe: (title, fn) => base.describe(title, fn),
    it: (title, fn) => {
      const test = it(title, fn, timeoutMs) as { timeout?: unknown } | undefined;
      // mocha answers a Test whose timeout is set this way (there is no `this.timeout` to rely on).
      if (typeof test?.timeout === "function") (test.timeout as (ms: number) => unknown).call(test, timeoutMs);
    },
    beforeEach: (fn) => beforeEach(fn, timeoutMs),
  };
}

function found(suite: string): TestRunner {
  const g = globalThis as Partial<TestRunner>;
  if (typeof g.describe === "function" && typeof g.it === "function" && typeof g.beforeEach === "function") return g as TestRunner;
  if (process.env.VITEST) {
    throw new TypeError(`express-gatehouse/testing: under Vitest, call ${suite} with { describe, it, beforeEach } from "vitest" as its last argument (or turn on test.globals)`);
  }
  return process.getBuiltinModule("node:test");
}
