// Under mocha the suites find describe/it/beforeEach among the globals.
import { memorySuites } from "./memory-suites.js";

memorySuites();
