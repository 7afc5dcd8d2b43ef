// Vitest without globals: the suites take describe/it/beforeEach from the caller.
import { beforeEach, describe, it } from "vitest";
import { memorySuites } from "./memory-suites.js";

memorySuites({ describe, it, beforeEach });
