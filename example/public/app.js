/**
 * The Gatehouse example page: plain browser JavaScript (an ES module), no framework, no build step.
 * It drives every endpoint of the router mounted at /auth, in the server's mode (GET /config.json).
 *
 * Structure
 *   transport   how requests are authenticated, picked from the mode at start:
 *               `sessionTransport()` relies on the session cookie and adds `X-CSRF-Token` to unsafe
 *               requests; `jwtTransport()` keeps the access and refresh tokens in memory only, sends
 *               `Authorization: Bearer`, refreshes the pair about 60 s before the access token
 *               expires, and retries a request once after a refresh on 401 UNAUTHENTICATED.
 *   api()       one fetch helper: JSON in and out, the transport's headers, problem+json errors
 *               turned into `ApiError { status, code, errors, retryAfter }`.
 *   describe()  error codes -> sentences a person understands.
 *   flows       one handler per form or button, below `start()`.
 *
 * Stable hooks for browser tests (ids; most elements also carry the same name as data-testid):
 *   #message                 the status line; data-kind = "info" | "success" | "error";
 *                            VALIDATION_FAILED lists fields as <li data-field="password">
 *   #whoami                  "Signed in as …" / "Not signed in"
 *   #signed-out, #signed-in  the two views (toggled with the hidden attribute)
 *   signed out:  #login-form #login-email #login-password #login-submit
 *                #register-form #register-name #register-email #register-password #register-submit
 *                #forgot-form #forgot-email #forgot-submit
 *   from emails: #reset-panel #reset-form #reset-new-password #reset-submit   (/reset-password?token=)
 *                #confirm-email-panel #confirm-email-button                    (/confirm-email?token=)
 *   signed in:   #profile #profile-name #profile-email #profile-created
 *                #profile-verified (data-verified = "true" | "false")
 *                #resend-verification #refresh-session #logout-button
 *                #load-api-profile #api-profile-output
 *                #change-password-form #current-password #new-password #change-password-submit
 *                #change-email-form #new-email #change-email-password #change-email-submit
 *                #sessions-list  > li[data-testid=session][data-session-id][data-current]
 *                                  with button[data-testid=revoke-session] (not on the current one)
 *                #reload-sessions #revoke-others
 *                #delete-account-form #delete-password #delete-confirm #delete-account-submit
 *   two-step:    #mfa-step #mfa-verify-form #mfa-code #mfa-verify-submit #mfa-cancel   (after a right password)
 *                #mfa-card #mfa-status (data-enabled) #mfa-required-note #mfa-setup-button
 *                #mfa-setup-panel #mfa-qr #mfa-secret (data-secret = the base32 key) #mfa-enable-form
 *                #mfa-enable-code #mfa-enable-submit #mfa-codes-panel #mfa-recovery-codes > li
 *                #mfa-manage #mfa-disable-form #mfa-disable-password #mfa-disable-code
 *                #mfa-codes-form #mfa-codes-password #mfa-codes-code
 *                #reauth-form #reauth-password #reauth-code #reauth-submit
 *   footer:      #outbox-link (shown when the dev outbox is mounted), #mode-label
 *   #mode-note   shown in JWT mode: a reload signs the user out
 *   While a request runs, its form or button has aria-busy="true"; document.body has data-mode
 *   ("session" | "jwt") once the configuration is read, and data-ready once the first session
 *   check finished.
 */

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

// ---------------------------------------------------------------------------------------------
// Transport

/** Session mode: the browser carries the cookie; unsafe requests carry the session's CSRF token. */
function sessionTransport() {
  let csrfToken = null;

  async function loadCsrfToken() {
    const res = await fetch("/auth/csrf", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!res.ok) throw await toApiError(res);
    csrfToken = (await res.json()).csrfToken;
  }

  return {
    mode: "session",
    credentials: "same-origin",
    /** Adds this transport's credentials to a request. */
    async authorize(method, headers) {
      if (UNSAFE_METHODS.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
    },
    /** Keeps credentials from a successful answer (login, refresh, register with sign-in). */
    remember(data) {
      if (data && typeof data.csrfToken === "string") csrfToken = data.csrfToken;
    },
    /** Fetches fresh credentials: on page load when signed in, and after the session rotated (password change). */
    renew: loadCsrfToken,
    /** After a failed request: renew and say whether one retry makes sense (a stale or missing CSRF token). */
    async recover(error) {
      if (error.code !== "CSRF_INVALID") return false;
      try {
        await loadCsrfToken();
        return true;
      } catch {
        return false;
      }
    },
    /** Drops credentials (sign-out, account deleted, session ended). */
    forget() {
      csrfToken = null;
    },
    /** The cookie is invisible to scripts: ask the server. */
    hasCredentials: () => true,
    /** The body of POST /logout. */
    logoutBody: () => undefined,
  };
}

/**
 * JWT mode: the access and refresh tokens live in this page's memory only (never localStorage,
 * sessionStorage or cookies, where injected script or another tab could read them), so a reload
 * signs the user out. Requests carry `Authorization: Bearer <access token>`; a timer rotates the
 * pair about 60 s before the access token expires; a request refused with 401 UNAUTHENTICATED is
 * retried once after a refresh. `onExpired` runs when a timed refresh finds the sign-in over.
 */
function jwtTransport({ onExpired }) {
  const REFRESH_LEAD = 60; // seconds before expiry
  let accessToken = null;
  let refreshToken = null;
  let expiresAt = 0; // ms since the epoch
  let timer = null;
  let inFlight = null; // the running refresh: the timer and a 401 may want one at the same time

  function schedule(expiresIn) {
    clearTimeout(timer);
    // A minute before expiry; for lifetimes of two minutes or less, halfway through.
    const lead = expiresIn > 2 * REFRESH_LEAD ? REFRESH_LEAD : expiresIn / 2;
    timer = setTimeout(timedRefresh, Math.max(1, expiresIn - lead) * 1000);
  }

  async function timedRefresh() {
    timer = null;
    try {
      await refreshPair();
    } catch (err) {
      if (!refreshToken) return; // signed out meanwhile
      if (err instanceof ApiError && err.status === 401) {
        forget();
        onExpired(err);
      } else {
        // Offline, 503 or 429: try again soon (a request's 401 also refreshes).
        timer = setTimeout(timedRefresh, (err instanceof ApiError && err.retryAfter ? err.retryAfter : 15) * 1000);
      }
    }
  }

  function remember(data) {
    if (!data || typeof data.access_token !== "string" || typeof data.refresh_token !== "string") return;
    accessToken = data.access_token;
    refreshToken = data.refresh_token;
    const ttl = Number(data.expires_in) > 0 ? Number(data.expires_in) : 900;
    expiresAt = Date.now() + ttl * 1000;
    schedule(ttl);
  }

  function forget() {
    accessToken = null;
    refreshToken = null;
    expiresAt = 0;
    clearTimeout(timer);
    timer = null;
  }

  /** POST /auth/refresh with the refresh token; the old one is dead afterwards. */
  function refreshPair() {
    if (!refreshToken) return Promise.reject(new ApiError({ status: 401, code: "INVALID_REFRESH_TOKEN" }));
    inFlight ??= (async () => {
      const sent = refreshToken;
      let res;
      try {
        res = await fetch("/auth/refresh", {
          method: "POST",
          credentials: "omit",
          headers: { Accept: "application/json", "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: sent }),
        });
      } catch {
        throw new ApiError({ status: 0, code: "NETWORK_ERROR" });
      }
      if (!res.ok) throw await toApiError(res);
      const data = await readJson(res);
      if (refreshToken === sent) remember(data); // else signed out (or in again) meanwhile
    })().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  return {
    mode: "jwt",
    credentials: "omit",
    async authorize(_method, headers) {
      // Wait for a running refresh; refresh first when the access token is (nearly) expired,
      // e.g. after the timer was throttled in a background tab.
      if (inFlight) await inFlight.catch(() => {});
      else if (refreshToken && Date.now() > expiresAt - 5000) await refreshPair().catch(() => {});
      if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    },
    /** Login, refresh, change-password (and register with sign-in) answer a new pair. */
    remember,
    /** Nothing to fetch: the pair comes with the answers that change it. */
    async renew() {},
    /** 401 UNAUTHENTICATED with a refresh token at hand: refresh, then retry once. */
    async recover(error) {
      if (error.code !== "UNAUTHENTICATED" || !refreshToken) return false;
      try {
        await refreshPair();
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) forget();
        return false;
      }
    },
    forget,
    /** Whether there is a sign-in to ask the server about. */
    hasCredentials: () => refreshToken !== null,
    /** Rotates the pair now (the "Refresh tokens" button). */
    refresh: refreshPair,
    /** POST /logout also ends the refresh token's family. */
    logoutBody: () => (refreshToken ? { refresh_token: refreshToken } : undefined),
  };
}

/** Set in start() from the server's mode. */
let transport = sessionTransport();

// ---------------------------------------------------------------------------------------------
// api()

/** A failed request: `code` from the problem+json body (or NETWORK_ERROR / HTTP_<status>). */
class ApiError extends Error {
  constructor({ status, code, title, errors, retryAfter }) {
    super(title || code);
    this.status = status;
    this.code = code;
    this.errors = Array.isArray(errors) ? errors : [];
    this.retryAfter = retryAfter;
  }
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or undefined. */
function parseRetryAfter(value) {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function readJson(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

async function toApiError(res) {
  const body = (await readJson(res)) || {};
  return new ApiError({
    status: res.status,
    code: typeof body.code === "string" ? body.code : `HTTP_${res.status}`,
    title: body.title,
    errors: body.errors,
    retryAfter: parseRetryAfter(res.headers.get("Retry-After")),
  });
}

/**
 * Calls the server: `api("POST", "/auth/login", { email, password })`. Resolves with the JSON body
 * (null for 202/204), rejects with an ApiError. A CSRF refusal is retried once with a fresh token.
 */
async function api(method, path, body) {
  const attempt = async () => {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    await transport.authorize(method, headers);
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        credentials: transport.credentials,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError({ status: 0, code: "NETWORK_ERROR" });
    }
    if (!res.ok) throw await toApiError(res);
    const data = await readJson(res);
    transport.remember(data);
    return data;
  };
  try {
    return await attempt();
  } catch (err) {
    if (err instanceof ApiError && (await transport.recover(err))) return attempt();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors in words

const ERROR_MESSAGES = {
  INVALID_JSON: "The page sent a request the server could not read. Reload the page and try again.",
  EMAIL_ALREADY_REGISTERED: "An account with this email already exists. Sign in, or reset the password if you forgot it.",
  INVALID_TOKEN: "That link is invalid or expired. Ask for a new one.",
  INVALID_PASSWORD: "Your current password is not right.",
  EMAIL_ALREADY_VERIFIED: "Your email is already verified.",
  INVALID_CREDENTIALS: "That email and password don't match an account.",
  UNAUTHENTICATED: "Your session has ended. Please sign in again.",
  INVALID_REFRESH_TOKEN: "Your sign-in has expired. Please sign in again.",
  CSRF_INVALID: "The request was refused as a security precaution. Reload the page and try again (and open the app at its own address).",
  EMAIL_NOT_VERIFIED: "Verify your email address first, with the link we emailed you.",
  NOT_FOUND: "That is not available on this server.",
  INVALID_MFA_CODE: "That code is not right (or was already used). Try the current code from your app.",
  MFA_CHALLENGE_INVALID: "That sign-in step has ended (it lasts 5 minutes and allows 5 tries). Sign in again.",
  MFA_ALREADY_ENABLED: "Two-step sign-in is already on.",
  MFA_NOT_ENABLED: "Two-step sign-in is not on.",
  MFA_SETUP_NOT_STARTED: "The setup expired. Start it again.",
  MFA_ENROLLMENT_REQUIRED: "Set up two-step sign-in first.",
  REAUTH_REQUIRED: "For your security, confirm it's you first (“Confirm it's you”), then try again.",
  PAYLOAD_TOO_LARGE: "What you entered is too long.",
  UNSUPPORTED_MEDIA_TYPE: "The page sent a request in a format the server does not accept. Reload the page and try again.",
  VALIDATION_FAILED: "Please check what you entered:",
  TOO_MANY_REQUESTS: "Too many attempts.",
  INTERNAL_ERROR: "Something went wrong on our side. Please try again.",
  SERVICE_UNAVAILABLE: "The service is temporarily unavailable.",
  NETWORK_ERROR: "Could not reach the server. Check your connection and try again.",
};

const FIELD_LABELS = {
  email: "Email",
  password: "Password",
  name: "Name",
  token: "Link",
  currentPassword: "Current password",
  newPassword: "New password",
  newEmail: "New email",
  code: "Code",
  mfaToken: "Sign-in step",
  body: "Request",
};

/** The number in a server message such as "Use at least 8 characters.", if any. */
const limitIn = (e) => (/\d+/.exec(e.message || "") || [])[0];

const FIELD_MESSAGES = {
  REQUIRED: () => "This is required.",
  INVALID_TYPE: () => "This must be plain text.",
  INVALID_EMAIL: () => "Enter one valid email address, like ada@example.com.",
  TOO_SHORT: (e) => (limitIn(e) ? `Use at least ${limitIn(e)} characters.` : "This is too short."),
  TOO_LONG: (e) => (limitIn(e) ? `Use at most ${limitIn(e)} characters.` : "This is too long."),
  PASSWORD_TOO_COMMON: () => "This password is too common and easy to guess. Choose another one.",
  INVALID_LENGTH: (e) => e.message || "This has the wrong length.",
  INVALID_CHARACTERS: () => "Remove the special (control) characters.",
};

/** "in 30 seconds" / "in 5 minutes". */
function inTime(seconds) {
  if (seconds === undefined) return "in a moment";
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  if (seconds < 5400) return `in ${Math.round(seconds / 60)} minutes`;
  return `in ${Math.round(seconds / 3600)} hours`;
}

/** `{ text, list }` for an error; `overrides` maps codes to sentences for one action. */
function describe(err, overrides = {}) {
  if (!(err instanceof ApiError)) return { text: ERROR_MESSAGES.INTERNAL_ERROR, list: [] };
  if (err.code === "TOO_MANY_REQUESTS" || err.status === 429) {
    return { text: `${overrides.TOO_MANY_REQUESTS || ERROR_MESSAGES.TOO_MANY_REQUESTS} Try again ${inTime(err.retryAfter)}.`, list: [] };
  }
  if (err.code === "SERVICE_UNAVAILABLE" || err.status === 503) {
    return { text: `${ERROR_MESSAGES.SERVICE_UNAVAILABLE} Try again ${inTime(err.retryAfter)}.`, list: [] };
  }
  if (err.code === "VALIDATION_FAILED") {
    const list = err.errors.map((e) => ({
      field: e.field,
      text: `${FIELD_LABELS[e.field] || e.field}: ${(FIELD_MESSAGES[e.code] || (() => e.message || "This is not valid."))(e)}`,
    }));
    return { text: ERROR_MESSAGES.VALIDATION_FAILED, list };
  }
  const text = overrides[err.code] || ERROR_MESSAGES[err.code] || (err.status >= 500 ? ERROR_MESSAGES.INTERNAL_ERROR : `The request failed (${err.status}).`);
  return { text, list: [] };
}

// ---------------------------------------------------------------------------------------------
// The page

const $ = (id) => document.getElementById(id);
let currentUser = null;
let outboxAvailable = false;

/** Shows one message; `extra.list` adds items, `extra.outbox` a link to the dev outbox. */
function showMessage(kind, text, extra = {}) {
  const box = $("message");
  box.replaceChildren();
  box.dataset.kind = kind;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.append(text);
  if (extra.list && extra.list.length) {
    const ul = document.createElement("ul");
    for (const item of extra.list) {
      const li = document.createElement("li");
      li.dataset.field = item.field;
      li.textContent = item.text;
      ul.append(li);
    }
    box.append(ul);
  }
  if (extra.outbox && outboxAvailable) {
    const a = document.createElement("a");
    a.href = "/dev/outbox";
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = "Open the dev outbox";
    box.append(" ", a, " to read it.");
  }
  box.hidden = false;
}

function showError(err, overrides, form) {
  if (err instanceof ApiError && err.code === "UNAUTHENTICATED" && currentUser) {
    // The session died elsewhere (signed out, revoked, expired): back to the sign-in view.
    transport.forget();
    setUser(null);
  }
  const { text, list } = describe(err, overrides);
  showMessage("error", text, { list });
  if (form) {
    for (const item of list) {
      const input = form.elements.namedItem(item.field);
      if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
    }
  }
  if (!(err instanceof ApiError)) console.error(err);
}

/** Runs an action for a form or button: busy state, and errors shown in #message. */
async function run(element, action, overrides, form) {
  const buttons = form ? [...form.querySelectorAll("button")] : [element];
  element.setAttribute("aria-busy", "true");
  buttons.forEach((b) => (b.disabled = true));
  try {
    await action();
  } catch (err) {
    showError(err, overrides, form);
  } finally {
    element.removeAttribute("aria-busy");
    buttons.forEach((b) => (b.disabled = false));
  }
}

function onSubmit(formId, action, overrides) {
  const form = $(formId);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const values = Object.fromEntries(new FormData(form));
    run(form, () => action(values, form), overrides, form);
  });
}

function onClick(buttonId, action, overrides) {
  const button = $(buttonId);
  button.addEventListener("click", () => run(button, action, overrides));
}

const formatDate = (value) => (value === undefined || value === null ? "—" : new Date(value).toLocaleString());

function setUser(user) {
  currentUser = user;
  $("signed-out").hidden = Boolean(user);
  $("signed-in").hidden = !user;
  $("whoami").textContent = user ? `Signed in as ${user.email}` : "Not signed in";
  if (!user) {
    $("sessions-list").replaceChildren();
    $("api-profile-output").hidden = true;
    return;
  }
  $("profile-name").textContent = user.name || "—";
  $("profile-email").textContent = user.email;
  $("profile-created").textContent = formatDate(user.createdAt);
  const badge = $("profile-verified");
  badge.dataset.verified = String(Boolean(user.emailVerified));
  badge.textContent = user.emailVerified ? "verified" : "not verified";
  $("resend-verification").hidden = Boolean(user.emailVerified);
}

/** "Chrome on macOS" from a user agent string. */
function describeAgent(ua) {
  if (!ua) return "Unknown device";
  const browser =
    [[/Edg\//, "Edge"], [/OPR\/|Opera/, "Opera"], [/Firefox\//, "Firefox"], [/Chrome\//, "Chrome"], [/Safari\//, "Safari"], [/^curl\//, "curl"]].find(([re]) => re.test(ua))?.[1];
  const os = [[/Windows/, "Windows"], [/Android/, "Android"], [/iPhone|iPad/, "iOS"], [/Mac OS X/, "macOS"], [/Linux/, "Linux"]].find(([re]) => re.test(ua))?.[1];
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || ua.slice(0, 60);
}

async function loadSessions() {
  const list = $("sessions-list");
  const { sessions } = await api("GET", "/auth/sessions");
  list.replaceChildren();
  if (!sessions.length) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "No sessions.";
    list.append(li);
  }
  for (const s of sessions) {
    const li = document.createElement("li");
    li.dataset.testid = "session";
    li.dataset.sessionId = s.id;
    li.dataset.current = String(Boolean(s.current));
    const info = document.createElement("div");
    const agent = document.createElement("div");
    agent.className = "agent";
    agent.textContent = describeAgent(s.userAgent);
    agent.title = s.userAgent || "";
    const details = document.createElement("div");
    details.className = "details";
    details.textContent = `${s.ip || "unknown address"} · signed in ${formatDate(s.createdAt)} · last seen ${formatDate(s.lastSeenAt)}`;
    info.append(agent, details);
    li.append(info);
    if (s.current) {
      const badge = document.createElement("span");
      badge.className = "current";
      badge.textContent = "This device";
      li.append(badge);
    } else {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.dataset.testid = "revoke-session";
      button.textContent = "Revoke";
      button.addEventListener("click", () =>
        run(button, async () => {
          await api("DELETE", `/auth/sessions/${encodeURIComponent(s.id)}`);
          showMessage("success", "That session was signed out.");
          await loadSessions();
        }, { NOT_FOUND: "That session has already ended." }),
      );
      li.append(button);
    }
    list.append(li);
  }
}

/** Asks the server who is signed in; shows the matching view. */
async function loadMe() {
  if (!transport.hasCredentials()) {
    // JWT mode without tokens (a fresh page): nobody is signed in, no need to ask.
    setUser(null);
    return;
  }
  try {
    const { user } = await api("GET", "/auth/me");
    await transport.renew();
    setUser(user);
    loadMfa()
      .then(() => (mfaState.restricted ? undefined : loadSessions()))
      .catch((err) => showError(err));
  } catch (err) {
    if (err instanceof ApiError && err.code === "UNAUTHENTICATED") {
      transport.forget();
      setUser(null);
    } else {
      setUser(null);
      showError(err);
    }
  }
}

/** The token from an emailed link, kept in memory once it is out of the address bar. */
let linkToken = null;

function closeFlowPanels() {
  $("reset-panel").hidden = true;
  $("confirm-email-panel").hidden = true;
  linkToken = null;
  if (location.pathname !== "/") history.replaceState(null, "", "/");
}

/** The server's mode and whether the dev outbox is mounted (GET /config.json). */
async function loadConfig() {
  try {
    const res = await fetch("/config.json", { credentials: "omit", headers: { Accept: "application/json" } });
    const config = res.ok ? await res.json() : null;
    if (config && (config.mode === "session" || config.mode === "jwt")) return config;
  } catch {
    // handled below
  }
  showMessage("error", "Could not read the app's configuration; assuming session mode. Reload the page to try again.");
  return { mode: "session", outbox: false };
}

/** A timed JWT refresh found the sign-in over (revoked, password changed elsewhere, expired). */
function signInExpired() {
  if (!currentUser) return;
  setUser(null);
  showMessage("error", ERROR_MESSAGES.INVALID_REFRESH_TOKEN);
}

function applyMode(mode) {
  document.body.dataset.mode = mode;
  $("mode-label").textContent = mode === "jwt" ? "JWT mode (bearer tokens in memory)" : "Session mode (cookie + CSRF token)";
  $("mode-note").hidden = mode !== "jwt";
  $("refresh-session").textContent = mode === "jwt" ? "Refresh tokens" : "Refresh session";
  if (mode === "session" && navigator.cookieEnabled === false) showMessage("error", "Cookies are off: this page needs them to keep you signed in.");
}

async function start() {
  const url = new URL(location.href);
  const token = url.searchParams.get("token");
  const status = url.searchParams.get("status");
  // Keep tokens and one-time outcomes out of the address bar, the history and bookmarks.
  if (token !== null || status !== null) history.replaceState(null, "", url.pathname);

  const config = await loadConfig();
  transport = config.mode === "jwt" ? jwtTransport({ onExpired: signInExpired }) : sessionTransport();
  applyMode(config.mode);
  outboxAvailable = config.outbox === true;
  $("outbox-link").hidden = !outboxAvailable;

  await loadMe();

  if (status === "verified") showMessage("success", "Your email is verified.");
  else if (status === "invalid") showMessage("error", "That link is invalid or expired. Sign in and ask for a new one.");

  if (token && url.pathname === "/reset-password") {
    linkToken = token;
    $("reset-panel").hidden = false;
    try {
      await api("POST", "/auth/forgot-password/validate", { token });
      $("reset-new-password").focus();
    } catch (err) {
      closeFlowPanels();
      showError(err, { INVALID_TOKEN: "That link is invalid or expired. Ask for a new one below." });
    }
  } else if (token && url.pathname === "/confirm-email") {
    linkToken = token;
    $("confirm-email-panel").hidden = false;
  }
  document.body.dataset.ready = "true";
}

// ---------------------------------------------------------------------------------------------
// Flows

onSubmit("register-form", async ({ email, password, name }, form) => {
  const body = { email, password };
  if (name.trim()) body.name = name.trim();
  const data = await api("POST", "/auth/register", body);
  form.reset();
  // preventEnumeration answers an empty 202, new address or taken: say only what is true for both.
  const address = data?.user?.email ?? email.trim();
  $("login-email").value = address;
  const signedIn = Boolean(data?.csrfToken || data?.access_token); // signInOnRegister
  if (signedIn) setUser(data.user);
  if (data?.user) showMessage("success", `Account created. We sent a link to ${address} to verify the address; you can sign in now.`, { outbox: true });
  else showMessage("success", `Check ${address}: we sent it an email with the next step.`, { outbox: true });
  if (!signedIn) $("login-password").focus();
});

/**
 * JWT mode: the `device_token` of the last sign-in to an account, kept per account. It is no
 * credential to the account (it cannot sign in); it tells the server this browser signed in
 * before, so it keeps its own attempt budget while strangers guess at the account. Session mode
 * gets the same from an HttpOnly cookie the server sets.
 */
const deviceKey = (email) => `gatehouse.device:${email.trim().toLowerCase()}`;

/** The pending second step of a sign-in (POST /login answered mfaRequired), kept in memory only. */
let mfaToken = null;

function showMfaStep(token) {
  mfaToken = token;
  $("mfa-step").hidden = !token;
  $("signed-out").hidden = Boolean(token) || Boolean(currentUser);
  if (token) $("mfa-code").focus();
}

async function signedIn(user) {
  setUser(user);
  showMessage("success", `Welcome${user.name ? `, ${user.name}` : ""}! You are signed in.`);
  await loadMfa();
  if (!mfaState.restricted) await loadSessions();
}

onSubmit("login-form", async ({ email, password }, form) => {
  const body = { email, password };
  const device = localStorage.getItem(deviceKey(email));
  if (device) body.device_token = device;
  const data = await api("POST", "/auth/login", body);
  if (typeof data.device_token === "string") localStorage.setItem(deviceKey(email), data.device_token);
  form.reset();
  if (data.mfaRequired) {
    showMfaStep(data.mfaToken);
    showMessage("info", "Your password was right. Now enter the code from your authenticator app.");
    return;
  }
  await signedIn(data.user);
});

onSubmit("mfa-verify-form", async ({ code }, form) => {
  try {
    const { user } = await api("POST", "/auth/mfa/verify", { mfaToken, code: code.trim() });
    form.reset();
    showMfaStep(null);
    await signedIn(user);
  } catch (err) {
    if (err instanceof ApiError && (err.code === "MFA_CHALLENGE_INVALID" || err.status === 429)) {
      form.reset();
      showMfaStep(null);
      $("signed-out").hidden = false;
    }
    throw err;
  }
});

onClick("mfa-cancel", async () => {
  $("mfa-verify-form").reset();
  showMfaStep(null);
  $("signed-out").hidden = false;
});

/** GET /auth/mfa: whether the factor is on (and required); shows the matching controls. */
let mfaState = { enabled: false, required: false, restricted: false };

async function loadMfa() {
  const s = await api("GET", "/auth/mfa");
  mfaState = { enabled: s.enabled, required: s.required, restricted: s.required && !s.enabled };
  const badge = $("mfa-status");
  badge.dataset.enabled = String(s.enabled);
  badge.textContent = s.enabled ? `on · ${s.recoveryCodesLeft} recovery codes left` : "off";
  $("mfa-required-note").hidden = !mfaState.restricted;
  $("mfa-setup-button").hidden = s.enabled;
  $("mfa-manage").hidden = !s.enabled;
  if (s.enabled) $("mfa-setup-panel").hidden = true;
}

function showRecoveryCodes(codes) {
  const list = $("mfa-recovery-codes");
  list.replaceChildren(...codes.map((c) => Object.assign(document.createElement("li"), { textContent: c })));
  $("mfa-codes-panel").hidden = false;
}

onClick("mfa-setup-button", async () => {
  const { secret, qrCode } = await api("POST", "/auth/mfa/totp/setup", {});
  // The QR code is an SVG data URL made by the server: no third-party service sees the key.
  $("mfa-qr").src = qrCode;
  $("mfa-secret").textContent = secret.match(/.{1,4}/g).join(" ");
  $("mfa-secret").dataset.secret = secret;
  $("mfa-setup-panel").hidden = false;
  $("mfa-codes-panel").hidden = true;
  $("mfa-enable-code").focus();
});

onSubmit("mfa-enable-form", async ({ code }, form) => {
  const { recoveryCodes } = await api("POST", "/auth/mfa/totp/enable", { code: code.trim() });
  form.reset();
  $("mfa-setup-panel").hidden = true;
  showRecoveryCodes(recoveryCodes);
  const wasRestricted = mfaState.restricted;
  await loadMfa();
  showMessage("success", "Two-step sign-in is on. Save your recovery codes now: they are shown only once.");
  if (wasRestricted) await loadSessions();
});

onSubmit("mfa-disable-form", async ({ password, code }, form) => {
  await api("POST", "/auth/mfa/totp/disable", { password, code: code.trim() });
  form.reset();
  $("mfa-codes-panel").hidden = true;
  await loadMfa();
  showMessage("success", "Two-step sign-in is off. Your password alone now signs you in.");
});

onSubmit("mfa-codes-form", async ({ password, code }, form) => {
  const { recoveryCodes } = await api("POST", "/auth/mfa/recovery-codes", { password, code: code.trim() });
  form.reset();
  showRecoveryCodes(recoveryCodes);
  await loadMfa();
  showMessage("success", "New recovery codes: the old ones no longer work.");
});

onSubmit("reauth-form", async ({ password, code }, form) => {
  const body = { password };
  if (code.trim()) body.code = code.trim();
  await api("POST", "/auth/reauth", body);
  form.reset();
  showMessage("success", "Thanks, confirmed. You can go ahead for the next few minutes.");
});

onSubmit("forgot-form", async ({ email }, form) => {
  await api("POST", "/auth/forgot-password", { email });
  form.reset();
  showMessage("success", `If an account exists for ${email.trim()}, we emailed it a link to choose a new password. The link works once, for a limited time.`, { outbox: true });
});

onSubmit("reset-form", async ({ password }, form) => {
  await api("POST", "/auth/reset-password", { token: linkToken, password });
  form.reset();
  closeFlowPanels();
  // A reset signs the user out everywhere, this browser included.
  await loadMe();
  showMessage("success", "Your password was changed and every session was signed out. Sign in with your new password.");
  if (!currentUser) $("login-email").focus();
}, { INVALID_TOKEN: "That link is invalid or expired. Ask for a new one with “Forgot your password?”." });

onClick("confirm-email-button", async () => {
  const { user } = await api("POST", "/auth/account/confirm-email-change", { token: linkToken });
  closeFlowPanels();
  if (currentUser && currentUser.id === user.id) setUser(user);
  showMessage("success", `Your email is now ${user.email}.${currentUser ? "" : " Sign in with it from now on."}`);
}, {
  INVALID_TOKEN: "That link is invalid or expired. Change your email again to get a new one.",
  EMAIL_ALREADY_REGISTERED: "That address now belongs to another account, so your email was not changed.",
});

onClick("resend-verification", async () => {
  await api("POST", "/auth/request-verify-email");
  showMessage("success", `We sent a new verification link to ${currentUser.email}.`, { outbox: true });
}, { EMAIL_ALREADY_VERIFIED: "Your email is already verified." });

onClick("refresh-session", async () => {
  if (transport.mode === "jwt") {
    // A new pair (the old refresh token is dead), then the profile as the server has it now.
    await transport.refresh();
    const { user } = await api("GET", "/auth/me");
    setUser(user);
    showMessage("success", "Tokens refreshed: you have a new access and refresh token, and your details were re-read.");
  } else {
    const { user } = await api("POST", "/auth/refresh");
    setUser(user);
    showMessage("success", "Session refreshed: it has a new id and your details were re-read.");
  }
  await loadSessions();
});

onClick("load-api-profile", async () => {
  const data = await api("GET", "/api/profile");
  const out = $("api-profile-output");
  out.textContent = JSON.stringify(data, null, 2);
  out.hidden = false;
});

onClick("logout-button", async () => {
  await api("POST", "/auth/logout", transport.logoutBody());
  transport.forget();
  setUser(null);
  showMessage("info", "You are signed out.");
});

onSubmit("change-password-form", async ({ currentPassword, newPassword }, form) => {
  // JWT mode: the answer's new pair replaces the old one (api() hands it to the transport).
  await api("POST", "/auth/account/change-password", { currentPassword, newPassword });
  // Session mode: the session moved to a new id with a new CSRF token: read it before the next unsafe request.
  await transport.renew();
  form.reset();
  showMessage("success", "Your password was changed. Every other session was signed out.");
  await loadSessions();
});

onSubmit("change-email-form", async ({ newEmail, password }, form) => {
  await api("POST", "/auth/account/change-email", { newEmail, password });
  form.reset();
  showMessage("success", `Check your new inbox: we sent a confirmation link to ${newEmail.trim()}. Your email changes once you follow it.`, { outbox: true });
});

onClick("reload-sessions", loadSessions);

onClick("revoke-others", async () => {
  await api("DELETE", "/auth/sessions");
  showMessage("success", "Every other session was signed out.");
  await loadSessions();
});

onSubmit("delete-account-form", async ({ password }, form) => {
  if (!$("delete-confirm").checked) return;
  await api("DELETE", "/auth/account", { password });
  form.reset();
  transport.forget();
  setUser(null);
  showMessage("info", "Your account was deleted. Goodbye!");
});

window.addEventListener("pageshow", (event) => {
  // Back/forward cache: the session may have changed while the page was away.
  if (event.persisted) loadMe();
});

start();
