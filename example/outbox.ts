/**
 * A development mailer: instead of sending, it prints each email (subject, recipient, links) to
 * the console and keeps the last few in memory for the `GET /dev/outbox` page. Use it only where
 * no SMTP server is configured and never in production: the page shows live sign-in links.
 */
import type { RequestHandler } from "express";

/** One email as Gatehouse hands it to a mailer (the shape of `Mailer.send`'s argument). */
export interface OutboxMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** An email kept by the outbox, with the links found in it. */
export interface StoredMessage extends OutboxMessage {
  sentAt: Date;
  links: string[];
}

/** Prints emails to the console and keeps the newest `capacity` of them. */
export class ConsoleOutbox {
  private readonly messages: StoredMessage[] = [];

  constructor(private readonly capacity = 50) {}

  async send(message: OutboxMessage): Promise<void> {
    const stored: StoredMessage = { ...message, sentAt: new Date(), links: linksIn(message.text) };
    this.messages.push(stored);
    if (this.messages.length > this.capacity) this.messages.shift();
    console.log(
      [
        "",
        "----- email (not sent: SMTP_URL is not set) -----",
        `To:      ${stored.to}`,
        `Subject: ${stored.subject}`,
        ...stored.links.map((link) => `Link:    ${link}`),
        "--------------------------------------------------",
        "",
      ].join("\n"),
    );
  }

  /** The kept emails, newest first. */
  list(): StoredMessage[] {
    return [...this.messages].reverse();
  }

  /** `GET /dev/outbox`: a plain HTML list of the kept emails, newest first, links clickable. */
  page(): RequestHandler {
    return (_req, res) => {
      // The page holds live tokens: keep it out of caches and out of the Referer of followed links.
      res.set({ "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'" });
      res.type("html").send(renderOutbox(this.list()));
    };
  }
}

/** The http(s) links of a plain-text email body, in order, without duplicates. */
export function linksIn(text: string): string[] {
  return [...new Set(text.match(/https?:\/\/[^\s<>"']+/g) ?? [])];
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function renderOutbox(messages: StoredMessage[]): string {
  const items = messages
    .map(
      (m) => `<li class="mail" data-testid="outbox-message">
  <div class="meta"><time datetime="${m.sentAt.toISOString()}">${escapeHtml(m.sentAt.toLocaleString())}</time> to <strong data-testid="outbox-to">${escapeHtml(m.to)}</strong></div>
  <div class="subject" data-testid="outbox-subject">${escapeHtml(m.subject)}</div>
  ${m.links.map((l) => `<div><a data-testid="outbox-link" href="${escapeHtml(l)}">${escapeHtml(l)}</a></div>`).join("\n  ")}
  <details><summary>Text</summary><pre>${escapeHtml(m.text)}</pre></details>
</li>`,
    )
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
<p>Emails the example app would have sent (the last 50, newest first). Development only: set <code>SMTP_URL</code> to send real mail. <a href="/">Back to the app</a></p>
${messages.length ? `<ol id="outbox">\n${items}\n</ol>` : `<p id="outbox-empty">No emails yet.</p>`}
</body>
</html>
`;
}
