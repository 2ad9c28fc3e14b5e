// Unsaved form input, kept when the API ends the session (a revoked or expired session, a role
// changed by an admin) and filled in again after the same account signs in again.
//
// Only what the user typed is kept: a control counts once an `input` or `change` event came
// from it (values a page sets itself never do), and a page calls `markClean(form)` once it has
// saved. Never passwords or hidden fields, never search forms (their state is in the URL). The
// draft lives in sessionStorage, so it dies with the tab; it is consumed by the first page shown
// after signing in again: filled in when that is the same page for the same account, else
// dropped, so another person signing in on this tab never sees it.

const KEY = 'folio.draft';
const touched = new WeakSet();

for (const type of ['input', 'change']) {
  document.addEventListener(type, (event) => {
    if (event.target && event.target.name) touched.add(event.target);
  }, true);
}

/** The form's controls are saved: what they hold is no longer a draft. */
export function markClean(form) {
  for (const el of form.elements) touched.delete(el);
}

function keepable(form) {
  return form.getAttribute('role') !== 'search';
}

function keepableControl(el) {
  return el.name && touched.has(el) && !el.disabled && !['password', 'hidden', 'file', 'submit', 'button'].includes(el.type);
}

/** Keeps the typed input of the page's forms; true when there was any. */
export function keepDraft(root, accountId) {
  const fields = [];
  [...root.querySelectorAll('form')].forEach((form, index) => {
    if (!keepable(form)) return;
    for (const el of form.elements) {
      if (!keepableControl(el)) continue;
      const checkable = el.type === 'checkbox' || el.type === 'radio';
      fields.push({ form: index, name: el.name, value: checkable ? el.checked : el.value });
    }
  });
  if (!fields.length) return false;
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ path: location.pathname + location.search, account: accountId || null, fields }));
  } catch {
    return false; // storage full or refused: the sign-in page then only warns
  }
  return true;
}

/** Whether a draft waits for the next sign-in. */
export function hasDraft() {
  return sessionStorage.getItem(KEY) !== null;
}

/**
 * After a page of a signed-in account is drawn: fills in the draft kept for this page and
 * account (and returns the form it went into), or drops a draft that belongs elsewhere.
 */
export function restoreDraft(root, accountId) {
  const saved = sessionStorage.getItem(KEY);
  if (saved === null) return null;
  sessionStorage.removeItem(KEY);
  let draft;
  try {
    draft = JSON.parse(saved);
  } catch {
    return null;
  }
  if (!draft || draft.path !== location.pathname + location.search || !accountId || draft.account !== accountId) return null;
  const forms = [...root.querySelectorAll('form')];
  let first = null;
  for (const { form: index, name, value } of draft.fields || []) {
    const form = forms[index];
    const el = form && keepable(form) ? form.elements.namedItem(name) : null;
    if (!el || !('value' in el) || el.disabled) continue;
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = Boolean(value);
    else el.value = String(value);
    touched.add(el);
    first = first || form;
  }
  return first;
}
