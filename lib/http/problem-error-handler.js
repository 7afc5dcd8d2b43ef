import { sendProblem, toBodyError } from "./problem.js";
/**
 * An error handler for the app: answers the failures of the app's own body parsers
 * (`express.json()`, `express.urlencoded()`, body-parser) as `application/problem+json`, the way
 * the router answers its own: 400 `INVALID_JSON`, 413 `PAYLOAD_TOO_LARGE`, 415
 * `UNSUPPORTED_MEDIA_TYPE`. Every other error goes on to the app's next error handler. Mount it
 * after the parsers:
 *
 * ```ts
 * app.use(express.json());
 * app.use(problemErrorHandler());
 * app.use("/auth", auth);
 * ```
 *
 * Without it, Express answers a body the app's parser refused with its HTML error page, since an
 * error skips the router.
 */
export function problemErrorHandler() {
    return (err, _req, res, next) => {
        // http-errors from body-parser carry a `type` ("entity.parse.failed", ...) and a 4xx status.
        const problem = typeof err?.type === "string" ? toBodyError(err) : undefined;
        if (!problem || res.headersSent)
            return next(err);
        sendProblem(res, problem);
    };
}
