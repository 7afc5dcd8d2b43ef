import { defineConfig } from "vitest/config";

// Only the runner check: the rest of the specs are mocha's.
export default defineConfig({
  test: { include: ["spec/runners/vitest.test.ts"], root: "." },
});
