import type { AuthEvents, RequestContext } from "../types.js";

/** The app's event callbacks, by name (the `hooks` option). */
export type HookTable = { [K in keyof AuthEvents]?: (event: AuthEvents[K] & RequestContext) => unknown };

/**
 * Fires the app's hooks after the change they report is complete. A hook that throws or rejects
 * is reported and never reaches the request: it can neither fail nor undo what happened.
 */
export class Events {
  constructor(
    private readonly hooks: HookTable,
    private readonly report: (what: string, err: unknown) => void,
  ) {}

  emit<K extends keyof AuthEvents>(name: K, ctx: RequestContext, event: AuthEvents[K]): void {
    const hook = this.hooks[name] as ((e: unknown) => unknown) | undefined;
    if (hook) safely(`the ${name} hook`, this.report, () => hook({ ...event, ...ctx }));
  }
}

/** Calls `call` so that neither a throw nor a rejection reaches the caller; both go to `report`. */
export function safely(what: string, report: (what: string, err: unknown) => void, call: () => unknown): void {
  try {
    Promise.resolve(call()).catch((err: unknown) => report(what, err));
  } catch (err) {
    report(what, err);
  }
}
