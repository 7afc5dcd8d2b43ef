import { validate } from "./input.js";
import { OAuthEndpoints } from "./oauth.js";
/** Registers routes on the router and keeps their definitions for the OpenAPI document. */
export class RouteTable {
    router;
    guards;
    before;
    unreachable;
    routes = [];
    /** The routes whose errors follow RFC 6749 (the error handler asks). */
    oauth = new OAuthEndpoints();
    constructor(router, guards, 
    /** What the router's middleware before every route can answer (the strategy's load, CSRF on unsafe methods). */
    before, 
    /** Codes that cannot happen with these options (429 with `rateLimits: false`). */
    unreachable = []) {
        this.router = router;
        this.guards = guards;
        this.before = before;
        this.unreachable = unreachable;
    }
    route(def, handler) {
        const chain = [];
        const raises = [...this.before(def)];
        const use = (guard) => {
            chain.push(guard.handler);
            raises.push(...guard.raises);
        };
        if (def.auth)
            use(def.recentAuth ? this.guards.recentlySignedIn : def.restricted ? this.guards.signedInRestricted : this.guards.signedIn);
        if (def.body)
            use(def.form ? this.guards.formOrJson : this.guards.json);
        if (def.body?.some((f) => !f.lenient))
            raises.push("VALIDATION_FAILED");
        raises.push(...def.errors);
        // Validation chains are built once per route; express-validator runs them per request.
        const validators = def.body?.map((f) => f.chain());
        chain.push(async (req, res) => {
            const input = validators ? await validate(req, validators) : {};
            await handler(req, res, input);
        });
        this.router[def.method](def.path, ...chain);
        if (def.oauth)
            this.oauth.add(def.method, def.path);
        this.routes.push({ ...def, raises: [...new Set(raises)].filter((code) => !this.unreachable.includes(code)) });
    }
}
