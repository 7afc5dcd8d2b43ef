/** One email, ready to send. `to` is always an address from the user store, never from a request. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends email. The default wraps the nodemailer transport given as the `mailer` option. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
