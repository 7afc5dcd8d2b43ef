import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";
import nodemailer from "nodemailer";
import type { AddressInfo } from "node:net";
import type { MailTransport } from "../../lib/options.js";

/** A received email, parsed the way a mail client would. */
export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: ParsedMail["headers"];
}

/**
 * A real SMTP server on 127.0.0.1 (port 0) that keeps what it receives; the specs read the mail a
 * user would read and follow its links.
 */
export class TestSmtp {
  readonly inbox: ReceivedMail[] = [];
  private server: SMTPServer | undefined;
  private waiters: (() => void)[] = [];
  private readonly sending = new Set<Promise<unknown>>();
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.inbox.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? "",
              text: mail.text ?? "",
              html: typeof mail.html === "string" ? mail.html : "",
              headers: mail.headers,
            });
            for (const w of this.waiters.splice(0)) w();
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * A nodemailer transport that delivers here, wrapped so that {@link TestSmtp.idle} knows which
   * sends are still under way (the library adds `from` and calls `sendMail`, as with any transport).
   */
  transport(): MailTransport {
    const inner = nodemailer.createTransport({ host: "127.0.0.1", port: this.port, secure: false, ignoreTLS: true });
    return {
      sendMail: (mail) => {
        const sent = inner.sendMail(mail);
        const tracked = sent.then(
          () => undefined,
          () => undefined,
        );
        this.sending.add(tracked);
        void tracked.then(() => this.sending.delete(tracked));
        return sent;
      },
    };
  }

  /**
   * Resolves when every mail handed to a {@link TestSmtp.transport} so far has been accepted
   * (it is in the inbox then) or refused. A mail the app has not started to send yet (one sent
   * after a token is issued in the background) is not waited for.
   */
  async idle(): Promise<void> {
    while (this.sending.size > 0) await Promise.all(this.sending);
  }

  /** Waits for the next email to `to` (matching `subject` if given) that arrived after `since` emails. */
  async waitFor(to: string, opts: { subject?: RegExp; timeoutMs?: number; since?: number } = {}): Promise<ReceivedMail> {
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    for (;;) {
      const hit = this.inbox.slice(opts.since ?? 0).find((m) => m.to.includes(to) && (!opts.subject || opts.subject.test(m.subject)));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no email to ${to} within the time limit (inbox: ${this.inbox.map((m) => `${m.to} ${m.subject}`).join("; ")})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Mail to `to` so far. */
  to(to: string): ReceivedMail[] {
    return this.inbox.filter((m) => m.to.includes(to));
  }
}

/** The first link in a mail's text part. */
export function linkIn(mail: ReceivedMail): URL {
  const m = /https?:\/\/\S+/.exec(mail.text);
  if (!m) throw new Error(`no link in: ${mail.text}`);
  return new URL(m[0]);
}

/**
 * Waits a little for background mail that should NOT arrive, where the send would start after
 * the answer (behind a token issued in the background), so {@link TestSmtp.idle} cannot see it.
 */
export async function settle(ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}
