import { escapeHtml } from "../core/mail-templates.js";
/**
 * A mailer for development without a mail server: it sends nothing, prints each email (recipient,
 * subject, links) and keeps the newest ones for {@link OutboxMailer.page}. Made by
 * {@link devMailer}.
 */
export class OutboxMailer {
    messages = [];
    capacity;
    print;
    constructor(options = {}) {
        // The outbox shows live sign-in, reset and verification links: never in production.
        if (process.env.NODE_ENV === "production") {
            throw new TypeError("devMailer() prints live sign-in links and is refused when NODE_ENV=production: pass a real mailer, e.g. nodemailer.createTransport(process.env.SMTP_URL).");
        }
        const capacity = options.capacity ?? 50;
        if (!Number.isInteger(capacity) || capacity < 1)
            throw new TypeError("devMailer(): capacity must be a positive integer.");
        this.capacity = capacity;
        this.print = options.print ?? ((text) => console.log(text));
    }
    /** Keeps and prints the email; sends nothing. */
    async send(message) {
        const kept = { ...message, sentAt: new Date(), links: linksIn(message.text) };
        this.messages.push(kept);
        if (this.messages.length > this.capacity)
            this.messages.shift();
        this.print([
            "",
            "----- email (not sent: development outbox) -----",
            `To:      ${kept.to}`,
            `Subject: ${kept.subject}`,
            ...kept.links.map((link) => `Link:    ${link}`),
            "-------------------------------------------------",
            "",
        ].join("\n"));
    }
    /** The kept emails, newest first. */
    list() {
        return [...this.messages].reverse();
    }
    /**
     * A handler for a development-only page that lists the kept emails, newest first, links
     * clickable: `app.get("/dev/outbox", outbox.page())`.
     */
    page() {
        return (_req, res) => {
            // The page holds live tokens: keep it out of caches and out of the Referer of followed links.
            res.set({ "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'" });
            res.type("html").send(renderOutbox(this.list(), this.capacity));
        };
    }
}
/**
 * The development mailer: emails are printed to the console with their links and listed by
 * `page()`, so every flow works on a machine without a mail server. Throws a `TypeError` when
 * `NODE_ENV=production`.
 *
 * ```ts
 * const outbox = devMailer();
 * app.use("/auth", authRouter({ redis, secret, appUrl, mailer: outbox }));
 * app.get("/dev/outbox", outbox.page());
 * ```
 */
export function devMailer(options = {}) {
    return new OutboxMailer(options);
}
function linksIn(text) {
    return [...new Set(text.match(/https?:\/\/[^\s<>"']+/g) ?? [])];
}
function renderOutbox(messages, capacity) {
    const items = messages
        .map((m) => `<li class="mail" data-testid="outbox-message">
  <div class="meta"><time datetime="${m.sentAt.toISOString()}">${escapeHtml(m.sentAt.toLocaleString())}</time> to <strong data-testid="outbox-to">${escapeHtml(m.to)}</strong></div>
  <div class="subject" data-testid="outbox-subject">${escapeHtml(m.subject)}</div>
  ${m.links.map((l) => `<div><a data-testid="outbox-link" href="${escapeHtml(l)}">${escapeHtml(l)}</a></div>`).join("\n  ")}
  <details><summary>Text</summary><pre>${escapeHtml(m.text)}</pre></details>
</li>`)
        .join("\n");
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox (development)</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 820px; margin: 2rem auto; padding: 0 1rem; color: #1d2230; }
  ol { list-style: none; padding: 0; }
  .mail { border: 1px solid #d8dce6; border-radius: 8px; padding: .75rem 1rem; margin: .75rem 0; }
  .meta { color: #5b6275; font-size: 13px; }
  .subject { font-weight: 600; margin: .25rem 0; }
  a { color: #1f4fd1; word-break: break-all; }
  pre { white-space: pre-wrap; background: #f5f6fa; padding: .5rem; border-radius: 6px; }
</style>
</head>
<body>
<h1>Outbox</h1>
<p>Emails the app would have sent (the last ${capacity}, newest first). Development only: configure a real mailer to send them. <a href="/">Back to the app</a></p>
${messages.length ? `<ol id="outbox">\n${items}\n</ol>` : `<p id="outbox-empty">No emails yet.</p>`}
</body>
</html>
`;
}
