import type { Mailer } from "../ports/mailer.js";
import type { PublicUser } from "../types.js";
import type { Template, TemplateContext, TemplateName } from "./mail-templates.js";

/** Settings of the notifier, resolved from the options. */
export interface NotifierSettings {
  appName: string;
  appUrl: string;
  templates: Record<TemplateName, Template>;
  locale: (user: PublicUser) => string | undefined;
  /** Reports a failed delivery (never thrown at the request). */
  onError: (err: unknown, info: { template: TemplateName; to: string }) => void;
}

/**
 * Renders and sends emails in the background. A failing mail server never fails the request
 * that triggered the email (a registration stays a registration): the error goes to `onError`
 * and the user can ask again. Without a mailer, nothing is sent.
 */
export class Notifier {
  constructor(
    private readonly mailer: Mailer | undefined,
    private readonly settings: NotifierSettings,
  ) {}

  get enabled(): boolean {
    return this.mailer !== undefined;
  }

  /** Queues one email to `to` (always an address from the user store). */
  send(template: TemplateName, to: string, ctx: Omit<TemplateContext, "appName" | "appUrl" | "locale">): void {
    const mailer = this.mailer;
    if (!mailer) return;
    void (async () => {
      try {
        const full: TemplateContext = { ...ctx, appName: this.settings.appName, appUrl: this.settings.appUrl, locale: this.settings.locale(ctx.user) };
        const mail = this.settings.templates[template](full);
        await mailer.send({ to, ...mail });
      } catch (err) {
        this.settings.onError(err, { template, to });
      }
    })();
  }
}
