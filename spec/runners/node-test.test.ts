// node --test: no globals, so the suites declare their tests with node:test by themselves.
import { memorySuites } from "./memory-suites.js";

memorySuites();
