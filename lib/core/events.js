/**
 * Fires the app's hooks after the change they report is complete. A hook that throws or rejects
 * is reported and never reaches the request: it can neither fail nor undo what happened.
 */
export class Events {
    hooks;
    report;
    constructor(hooks, report) {
        this.hooks = hooks;
        this.report = report;
    }
    emit(name, ctx, event) {
        const hook = this.hooks[name];
        if (hook)
            safely(`the ${name} hook`, this.report, () => hook({ ...event, ...ctx }));
    }
}
/** Calls `call` so that neither a throw nor a rejection reaches the caller; both go to `report`. */
export function safely(what, report, call) {
    try {
        Promise.resolve(call()).catch((err) => report(what, err));
    }
    catch (err) {
        report(what, err);
    }
}
