/** Builds `protect` on top of the router's `requireUser`. */
export function protectWith(requireUser) {
    return ((...args) => {
        const [guard, handler] = args.length === 1 ? [requireUser, args[0]] : [requireUser(args[0]), args[1]];
        return (req, res, next) => guard(req, res, () => {
            try {
                // Express 4 does not catch rejected promises of handlers: hand them to next() here.
                Promise.resolve(handler(req, res, next)).catch(next);
            }
            catch (err) {
                next(err);
            }
        });
    });
}
