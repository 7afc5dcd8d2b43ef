import { escapeHtml } from "../core/mail-templates.js";
/**
 * The page's Content-Security-Policy: nothing may load, no script runs, styles only inline, and
 * the one form may post only to this origin. `frame-ancestors 'none'`: no clickjacking of the button.
 */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const STYLE = "body{font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b;background:#f6f7f9;margin:0}" +
    "main{max-width:32rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}" +
    "h1{font-size:1.4rem;margin-top:0}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#1f4fd1;color:#fff;cursor:pointer}" +
    "button:focus-visible,a:focus-visible{outline:3px solid #f5a623;outline-offset:2px}a{color:#1f4fd1}";
/** The first tag of `Accept-Language`, if it looks like a language tag. */
export function requestLocale(req) {
    const first = req.get("accept-language")?.split(",")[0]?.split(";")[0]?.trim();
    return first && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(first) ? first : undefined;
}
/**
 * True for a GET that asks for JSON and not for HTML: an API client. Browsers and mail
 * scanners send `text/html` (or `*` / nothing) and get the page that changes nothing.
 */
export function wantsJsonOnly(req) {
    if (req.method !== "GET")
        return false;
    const types = (req.get("accept") ?? "").split(",").map((t) => t.split(";")[0].trim().toLowerCase());
    return types.includes("application/json") && !types.includes("text/html");
}
/** True when the body came from an HTML form (the confirmation page), not from an API client. */
export function isFormPost(req) {
    return req.method === "POST" && req.is("application/x-www-form-urlencoded") === "application/x-www-form-urlencoded";
}
/**
 * Sends one small self-contained page: no third-party assets, no script, a strict CSP, and no
 * Referer (the confirmation page's URL holds the token). `form` adds the one button that posts
 * the token back to `action`.
 */
export function sendPage(req, res, opts, page, status = 200, form) {
    const ctx = { appName: opts.appName, appUrl: opts.appUrl.href, locale: requestLocale(req) };
    const text = opts.templates[page](ctx);
    const lang = ctx.locale ?? "en";
    const body = form
        ? `<form method="post" action="${escapeHtml(form.action)}"><input type="hidden" name="token" value="${escapeHtml(form.token)}"><button type="submit">${escapeHtml(text.button ?? text.title)}</button></form>`
        : `<p><a href="${escapeHtml(opts.appUrl.href)}">${escapeHtml(text.back ?? opts.appName)}</a></p>`;
    const html = `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<meta name="robots" content="noindex"><title>${escapeHtml(text.title)}</title><style>${STYLE}</style></head>` +
        `<body><main><h1>${escapeHtml(text.title)}</h1><p>${escapeHtml(text.message)}</p>${body}</main></body></html>`;
    res.setHeader("Content-Security-Policy", PAGE_CSP);
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("X-Frame-Options", "DENY");
    res.status(status).type("text/html; charset=utf-8").send(html);
}
