// The API client and the signed-in session.
//
// Tokens: the access token lives only in this module's memory. The refresh token lives in
// memory too while the page is open, and is written to sessionStorage only when the page is
// being hidden (reload, navigation away, tab close) and taken out again as soon as the next page
// starts. So a reload keeps the user signed in, a new tab or a duplicated tab does not inherit a
// token that its opener is still using (two tabs rotating one refresh token would trip the API's
// reuse detection and revoke the session), and nothing persists after the tab is gone.
// docs/ui.md explains the trade-off.

const STORAGE_KEY = 'folio.refresh';
// Problem types the UI treats specially: a 401 for a password asked for again (the session is
// fine, so it must not be refreshed or dropped), and a 503 naming a misconfigured variable (its
// detail is what the operator needs to read).
export const WRONG_PASSWORD = '/docs/problems#wrong-password';
const MISCONFIGURED = '/docs/problems#misconfigured';
const UNAVAILABLE = '/docs/problems#unavailable';
// Refresh this long before the access token expires, so requests never race its expiry.
const EARLY_REFRESH_MS = 30_000;

const session = {
  access: null,
  expiresAt: 0,
  refresh: null,
  scopes: new Set(),
  account: null,
  // Set when the API ended the session (a 401 that a refresh could not rescue): {account: id,
  // email} of whoever was signed in. The shell then says so on the sign-in page (with the e-mail
  // filled in) and keeps unsaved input. Memory only, like the rest of the session.
  ended: null,
};
const listeners = new Set();
let refreshing = null;

export class ApiError extends Error {
  constructor(status, problem, message, wait = null) {
    super(message);
    this.status = status;
    // Retry-After in seconds, when the server said when to come back.
    this.wait = wait;
    this.problem = problem || {};
    this.fieldErrors = Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** Words for a status when the server sent none we can use. */
function fallbackMessage(status) {
  if (status === 0) return 'Could not reach the server. Check your connection and try again.';
  if (status === 401) return 'Your session has ended. Please sign in again.';
  if (status === 403) return 'Your account is not allowed to do this.';
  if (status === 404) return 'That was not found. It may have been deleted.';
  if (status === 409) return 'That conflicts with something that already exists.';
  if (status === 412) return 'Someone else changed this in the meantime.';
  if (status === 413) return 'That is too large to send.';
  if (status === 422) return 'Some values are not valid.';
  if (status === 429) return 'Too many attempts. Wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return `The request failed (${status}).`;
}

/** `text` as a sentence that another may follow: with a full stop unless it has one. */
export function withStop(text) {
  const trimmed = String(text || '').trim();
  return !trimmed || /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** A wait in words: "5 seconds", "15 minutes", "about 2 hours" (never a raw 896 seconds). */
export function humanDuration(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds)));
  const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (s < 60) return plural(s, 'second');
  const minutes = Math.ceil(s / 60);
  const about = minutes * 60 === s ? '' : 'about ';
  if (minutes < 60) return about + plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (rest === 0) return about + plural(hours, 'hour');
  if (hours < 3) return `${about}${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
  return `about ${plural(Math.round(minutes / 60), 'hour')}`;
}

/** Retry-After in seconds (delta-seconds or an HTTP date), or null when absent or unusable. */
function retryAfter(response) {
  const value = (response.headers.get('retry-after') || '').trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) > 0 ? Number(value) : null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(1, Math.round((at - Date.now()) / 1000));
}

async function toError(response) {
  let problem = null;
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      problem = await response.json();
    } catch {
      problem = null;
    }
  }
  let message = (problem && (problem.detail || problem.error_description)) || fallbackMessage(response.status);
  const wait = retryAfter(response);
  if (response.status === 429 && wait) {
    // The server's detail often ends "; try again later": the wait in words says it better.
    const said = message.replace(/[;,]\s*try again (later|in a moment|soon)\.?$/i, '');
    message = `${withStop(said)} Try again in ${humanDuration(wait)}.`;
  }
  if (response.status >= 500 && !(problem && problem.type === MISCONFIGURED)) {
    // Never the server's words for a fault; a 503 that says when to come back is a busy
    // server (a held write lock, a store restarting), not a fault, and says so.
    message = response.status === 503 && (wait || (problem && problem.type === UNAVAILABLE))
      ? `The server is busy. Try again in ${wait ? humanDuration(wait) : 'a moment'}.`
      : fallbackMessage(response.status);
  }
  return new ApiError(response.status, problem, message, wait);
}

/**
 * Whether a failed refresh means the session is over: the token endpoint refused the refresh
 * token (`400 invalid_grant`: revoked, expired, reused) or the client (`401`). A network failure,
 * a busy server (`503`), a throttle (`429`) or a fault (`5xx`) says nothing about the session,
 * and its refresh token is still good: it is kept for the next try.
 */
function refusesSession(error) {
  return error.status === 400 || error.status === 401;
}

function networkError() {
  return new ApiError(0, null, fallbackMessage(0));
}

function notify() {
  for (const listener of listeners) listener(snapshot());
}

function snapshot() {
  return { signedIn: Boolean(session.access), scopes: session.scopes, account: session.account, ended: session.ended };
}

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentSession() {
  return snapshot();
}

export function can(scope) {
  return session.scopes.has(scope);
}

function accept(tokens) {
  session.access = tokens.access_token;
  session.expiresAt = Date.now() + Number(tokens.expires_in || 0) * 1000;
  session.refresh = tokens.refresh_token || session.refresh;
  session.scopes = new Set(String(tokens.scope || '').split(/\s+/).filter(Boolean));
  session.ended = null;
}

function forget() {
  session.access = null;
  session.expiresAt = 0;
  session.refresh = null;
  session.scopes = new Set();
  session.account = null;
  session.ended = null;
  sessionStorage.removeItem(STORAGE_KEY);
}

/** The API refused the session (revoked, expired, account changed): forget it and say so. */
function endSession() {
  const who = session.account;
  forget();
  session.ended = { account: who ? who.id : null, email: who ? who.email || null : null };
  notify();
}

async function tokenRequest(params) {
  let response;
  try {
    response = await fetch('/api/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
    });
  } catch {
    throw networkError();
  }
  if (!response.ok) throw await toError(response);
  return response.json();
}

async function loadAccount() {
  try {
    const me = await request('GET', '/api/auth/me');
    session.account = me.data && me.data.account ? me.data.account : null;
  } catch {
    session.account = null;
  }
}

export async function signIn(email, password) {
  const tokens = await tokenRequest({ grant_type: 'password', username: email, password });
  accept(tokens);
  await loadAccount();
  notify();
}

export async function register(email, password, name) {
  const body = { email, password };
  if (name) body.name = name;
  const result = await request('POST', '/api/auth/register', { body, auth: false });
  return result.data;
}

/** Exchanges the refresh token for a new pair; one exchange at a time (rotation). */
function refreshTokens() {
  if (!refreshing) {
    const token = session.refresh;
    refreshing = (async () => {
      if (!token) throw new ApiError(401, null, fallbackMessage(401));
      try {
        accept(await tokenRequest({ grant_type: 'refresh_token', refresh_token: token }));
      } catch (error) {
        // A refused refresh token ends the session; any other failure keeps it for a retry.
        if (refusesSession(error)) endSession();
        throw error;
      }
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * On page start: resume the session the previous page of this tab handed over, if any. A busy
 * server or a dropped connection is tried again a few times (as long as Retry-After says, at
 * most 5 s a time); if it still fails the refresh token stays in memory, so the next page of the
 * tab (a reload) can resume with it, and the page shows the sign-in form meanwhile.
 */
export async function restore() {
  const token = sessionStorage.getItem(STORAGE_KEY);
  sessionStorage.removeItem(STORAGE_KEY);
  if (!token) return false;
  session.refresh = token;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await refreshTokens();
      break;
    } catch (error) {
      if (refusesSession(error) || attempt === 3) return false;
      await sleep(Math.min(error.wait || 1, 5) * 1000);
    }
  }
  await loadAccount();
  notify();
  return true;
}

export async function signOut() {
  try {
    // The refresh token ends the session in one request whatever the access token's age (RFC
    // 7009 revocation); logout would first have to refresh an expired access token.
    if (session.refresh) {
      await request('POST', '/api/auth/revoke', { auth: false, retry: false, body: { token: session.refresh } });
    } else if (session.access) {
      await request('POST', '/api/auth/logout', { retry: false });
    }
  } catch {
    // Signing out locally matters more than telling the server; the session expires anyway.
  } finally {
    forget();
    notify();
  }
}

/**
 * Lets go of the session this page holds without a word and without touching the tab's hand-over:
 * for a page about to be loaded afresh (main.js, after the back/forward cache), whose token may be
 * spent; handed over again as it unloads, it would overwrite the tab's current one.
 */
export function releaseHeldSession() {
  session.access = null;
  session.expiresAt = 0;
  session.refresh = null;
}

/** Ends the local session without calling the API (e.g. after the API refused it). */
export function dropSession() {
  forget();
  notify();
}

// Hand the refresh token to the next page of this tab only when this one goes away. (A page shown
// again from the back/forward cache is loaded afresh by the shell, main.js, and so takes up the
// hand-over like any new page.)
addEventListener('pagehide', () => {
  if (session.refresh) sessionStorage.setItem(STORAGE_KEY, session.refresh);
});

/** The problem type of an error response, read from a copy so the response stays readable. */
async function problemType(response) {
  try {
    return (await response.clone().json()).type || null;
  } catch {
    return null;
  }
}

/**
 * Calls the API. Returns {status, data, etag, response}; throws ApiError with plain words.
 * options: body (JSON), headers, query (object), auth (default true), retry (default true),
 * accept (default JSON), raw (return the Response without reading it).
 */
export async function request(method, path, options = {}) {
  const { body, query, auth = true, retry = true, raw = false } = options;
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, value);
    }
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  if (auth && session.refresh && (!session.access || Date.now() > session.expiresAt - EARLY_REFRESH_MS)) {
    try {
      await refreshTokens();
    } catch (error) {
      // Unreachable or busy: say so (the session is kept). Refused: the session has ended, and
      // the request goes out without a token to get the route's own 401.
      if (!refusesSession(error)) throw error;
    }
  }
  const headers = { Accept: options.accept || 'application/json', ...(options.headers || {}) };
  if (body !== undefined) headers['Content-Type'] = options.contentType || 'application/json';
  if (auth && session.access) headers.Authorization = `Bearer ${session.access}`;

  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw networkError();
  }
  if (response.status === 401 && (await problemType(response)) === WRONG_PASSWORD) {
    throw await toError(response);
  }
  if (response.status === 401 && auth && retry && session.refresh) {
    // The access token may have been refused for age alone: refresh once and try again.
    try {
      await refreshTokens();
    } catch (error) {
      // Busy or unreachable: the session is kept, and the user is told to try again.
      if (!refusesSession(error)) throw error;
    }
    if (session.access) return request(method, path, { ...options, retry: false });
  }
  if (response.status === 401 && auth) {
    const error = await toError(response);
    if (session.access || session.refresh) endSession();
    throw error;
  }
  if (!response.ok && response.status !== 304) throw await toError(response);
  if (raw) return response;
  let data = null;
  if (response.status !== 204 && response.status !== 304) {
    const type = response.headers.get('content-type') || '';
    data = type.includes('json') ? await response.json() : await response.text();
  }
  return { status: response.status, data, etag: response.headers.get('etag'), response };
}
