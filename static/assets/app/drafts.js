// Unsaved form input, kept when the API ends the session (a revoked or expired session, a role
// changed by an admin) and filled in again after the same account signs in again.
//
// Only what the user typed is kept: a control counts once an `input` or `change` event came
// from it (values a page sets itself never do), and a page calls `markClean(form)` once it has
// saved. Never passwords or hidden fields, never search forms (their state is in the URL).
//
// A form that edits a stored resource names the version its values were loaded from
// (`versioned`: a book's ETag, a fingerprint of the profile); the draft keeps it, and after
// filling the draft in again the page is told which version the text was typed against, so it
// can show what changed in the meantime instead of saving over it unseen.
//
// The draft lives in sessionStorage only while signed out, so it dies with the tab. Signing out
// drops it (`dropDraft`); a sign-in drops it at once unless it is the same account's
// (`keepDraftOnlyFor`), and the first page drawn after that takes it (`takeDraft`, even a "Not
// allowed" or "Page not found" page) and fills it in when it is the draft's page (`applyDraft`).
// The draft names its account by id and by e-mail: the sign-in page fills the e-mail in
// (`draftEmail`), since only that account gets the draft back.

const KEY = 'folio.draft';
const touched = new WeakSet();
// form -> { version: () => string|null, restored: (kept: string|null) => void }
const versions = new WeakMap();

for (const type of ['input', 'change']) {
  document.addEventListener(type, (event) => {
    if (event.target && event.target.name) touched.add(event.target);
  }, true);
}

/** The form's controls are saved: what they hold is no longer a draft. */
export function markClean(form) {
  for (const el of form.elements) touched.delete(el);
}

/**
 * The form edits a stored resource: `version()` is the version its values belong to (kept with
 * a draft); `restored(kept)` runs once a draft has been filled in again, with the version that
 * draft was typed against (null when it is not known).
 */
export function versioned(form, version, restored) {
  versions.set(form, { version, restored });
}

function keepable(form) {
  return form.getAttribute('role') !== 'search';
}

function keepableControl(el) {
  return el.name && touched.has(el) && !el.disabled && !['password', 'hidden', 'file', 'submit', 'button'].includes(el.type);
}

function read() {
  const saved = sessionStorage.getItem(KEY);
  if (saved === null) return null;
  try {
    const draft = JSON.parse(saved);
    return draft && typeof draft === 'object' ? draft : null;
  } catch {
    return null;
  }
}

/**
 * Keeps the typed input of the page's forms; true when there was any (and so it was kept).
 * `email` is the account's, for the sign-in page to fill in.
 */
export function keepDraft(root, accountId, email) {
  // Whose it is must be known: a draft of no account could never be given back, so the
  // sign-in page must not promise it.
  if (!accountId) return false;
  const fields = [];
  const formVersions = {};
  [...root.querySelectorAll('form')].forEach((form, index) => {
    if (!keepable(form)) return;
    let any = false;
    for (const el of form.elements) {
      if (!keepableControl(el)) continue;
      const checkable = el.type === 'checkbox' || el.type === 'radio';
      fields.push({ form: index, name: el.name, value: checkable ? el.checked : el.value });
      any = true;
    }
    const tracked = versions.get(form);
    if (any && tracked) formVersions[index] = tracked.version() ?? null;
  });
  if (!fields.length) return false;
  try {
    sessionStorage.setItem(KEY, JSON.stringify({
      path: location.pathname + location.search,
      account: accountId,
      email: typeof email === 'string' && email ? email : undefined,
      fields,
      versions: formVersions,
    }));
  } catch {
    return false; // storage full or refused: the sign-in page then only warns
  }
  return true;
}

/** Whether a draft waits for the next sign-in. */
export function hasDraft() {
  return sessionStorage.getItem(KEY) !== null;
}

/** The e-mail of the account a draft waits for (to fill in on the sign-in page), or null. */
export function draftEmail() {
  const draft = read();
  return draft && typeof draft.email === 'string' && draft.email ? draft.email : null;
}

/** Forgets any draft (signing out: nothing typed may outlive it). */
export function dropDraft() {
  sessionStorage.removeItem(KEY);
}

/** Just signed in: a draft of any other account is dropped before anything is drawn. */
export function keepDraftOnlyFor(accountId) {
  const draft = read();
  if (!draft || !accountId || draft.account !== accountId) dropDraft();
}

/** The page a draft of this account waits for (to go there after signing in), or null. */
export function draftPage(accountId) {
  const draft = read();
  return draft && accountId && draft.account === accountId && typeof draft.path === 'string' && draft.path.startsWith('/')
    ? draft.path : null;
}

/**
 * Takes the draft out of storage, whatever page comes first after signing in: it is returned
 * when it is this account's (to be filled in by `applyDraft`), else dropped.
 */
export function takeDraft(accountId) {
  const draft = read();
  dropDraft();
  return draft && accountId && draft.account === accountId ? draft : null;
}

/**
 * After the page is drawn: fills in a draft taken for this page (and returns the first form it
 * went into), then tells each versioned form it went into which version it was typed against.
 */
export function applyDraft(root, draft) {
  if (!draft || draft.path !== location.pathname + location.search) return null;
  const forms = [...root.querySelectorAll('form')];
  const filled = new Map();
  for (const { form: index, name, value } of draft.fields || []) {
    const form = forms[index];
    const el = form && keepable(form) ? form.elements.namedItem(name) : null;
    if (!el || !('value' in el) || el.disabled) continue;
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = Boolean(value);
    else el.value = String(value);
    touched.add(el);
    filled.set(form, index);
  }
  for (const [form, index] of filled) {
    const tracked = versions.get(form);
    if (tracked) tracked.restored((draft.versions || {})[index] ?? null);
  }
  return filled.size ? filled.keys().next().value : null;
}
