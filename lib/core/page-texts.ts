/**
 * The pages the router answers browsers with on the emailed links: a confirmation page (GET,
 * HEAD: it changes nothing, so a mail scanner that fetches the link cannot use it up) and the
 * result of its form post. Apps translate them like the emails, with `mail.pages`.
 */
export type PageName = "confirmEmail" | "confirmEmailChange" | "emailConfirmed" | "emailChangeConfirmed" | "linkInvalid" | "failed";

/** What a page text function gets. */
export interface PageContext {
  appName: string;
  appUrl: string;
  /** The first language of the request's `Accept-Language` (e.g. `"de-CH"`), for apps that translate. */
  locale: string | undefined;
}

/** The text of a page: plain strings, escaped by the router (the markup is fixed). */
export interface PageText {
  /** The `<title>` and the heading. */
  title: string;
  message: string;
  /** The label of the confirmation button (confirmation pages only). */
  button?: string;
  /** The label of the link back to the app. */
  back?: string;
}

export type PageTemplate = (ctx: PageContext) => PageText;

/** The shipped English page texts. Replace any of them with the `mail.pages` option. */
export const DEFAULT_PAGES: Record<PageName, PageTemplate> = {
  confirmEmail: (ctx) => ({ title: "Confirm your email address", message: `Press the button to confirm this email address for ${ctx.appName}.`, button: "Confirm my email address" }),
  confirmEmailChange: (ctx) => ({ title: "Confirm your new email address", message: `Press the button to use this email address for your ${ctx.appName} account.`, button: "Confirm my new email address" }),
  emailConfirmed: (ctx) => ({ title: "Email address confirmed", message: `Thank you: your email address for ${ctx.appName} is confirmed.`, back: `Go to ${ctx.appName}` }),
  emailChangeConfirmed: (ctx) => ({ title: "Email address changed", message: `Your ${ctx.appName} account now uses this email address.`, back: `Go to ${ctx.appName}` }),
  linkInvalid: (ctx) => ({ title: "This link does not work", message: "The link is invalid, was already used, or has expired. Ask for a new email and use the newest link.", back: `Go to ${ctx.appName}` }),
  failed: (ctx) => ({ title: "That did not work", message: "The request could not be completed. Please try again in a little while.", back: `Go to ${ctx.appName}` }),
};

