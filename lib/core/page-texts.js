/** The shipped English page texts. Replace any of them with the `mail.pages` option. */
export const DEFAULT_PAGES = {
    confirmEmail: (ctx) => ({ title: "Confirm your email address", message: `Press the button to confirm this email address for ${ctx.appName}.`, button: "Confirm my email address" }),
    confirmEmailChange: (ctx) => ({ title: "Confirm your new email address", message: `Press the button to use this email address for your ${ctx.appName} account.`, button: "Confirm my new email address" }),
    emailConfirmed: (ctx) => ({ title: "Email address confirmed", message: `Thank you: your email address for ${ctx.appName} is confirmed.`, back: `Go to ${ctx.appName}` }),
    emailChangeConfirmed: (ctx) => ({ title: "Email address changed", message: `Your ${ctx.appName} account now uses this email address.`, back: `Go to ${ctx.appName}` }),
    linkInvalid: (ctx) => ({ title: "This link does not work", message: "The link is invalid, was already used, or has expired. Ask for a new email and use the newest link.", back: `Go to ${ctx.appName}` }),
    failed: (ctx) => ({ title: "That did not work", message: "The request could not be completed. Please try again in a little while.", back: `Go to ${ctx.appName}` }),
};
