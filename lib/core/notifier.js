/**
 * Renders and sends emails in the background. A failing mail server never fails the request
 * that triggered the email (a registration stays a registration): the error goes to `onError`
 * and the user can ask again. Without a mailer, nothing is sent.
 */
export class Notifier {
    mailer;
    settings;
    /** Sends started and not yet finished (delivered or reported), for {@link Notifier.idle}. */
    inFlight = new Set();
    constructor(mailer, settings) {
        this.mailer = mailer;
        this.settings = settings;
    }
    get enabled() {
        return this.mailer !== undefined;
    }
    /** Queues one email to `to` (always an address from the user store). */
    send(template, to, ctx) {
        const mailer = this.mailer;
        if (!mailer)
            return;
        const sending = (async () => {
            try {
                const full = { ...ctx, appName: this.settings.appName, appUrl: this.settings.appUrl, locale: this.settings.locale(ctx.user) };
                const mail = this.settings.templates[template](full);
                await mailer.send({ to, ...mail });
            }
            catch (err) {
                try {
                    this.settings.onError(err, { template, to });
                }
                catch {
                    // The reporter itself failed: there is nobody left to tell, and the request is long answered.
                }
            }
        })().finally(() => this.inFlight.delete(sending));
        this.inFlight.add(sending);
    }
    /**
     * Resolves when every send started so far has finished: delivered, or its failure reported to
     * `onError`. Sends started meanwhile are waited for too. It never rejects. Work that has not
     * called {@link Notifier.send} yet (a token still being issued) is not waited for.
     */
    async idle() {
        while (this.inFlight.size > 0)
            await Promise.allSettled(this.inFlight);
    }
}
