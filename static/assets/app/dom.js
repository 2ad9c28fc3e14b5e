// Small DOM helpers. Everything is built with createElement and textContent, never innerHTML,
// so text from the API can never become markup (and the CSP needs no inline anything).

/** h('p', {class: 'x', on: {click}}, 'text', child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key in el && typeof value !== 'string') {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/** A loading, empty or error state, announced to screen readers. */
export function state(kind, text) {
  return h('p', { class: `state ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/**
 * The app's "not found" page in `main`: what is missing, in words, and a way on. For an address
 * the app has no page for (main.js) and for one whose resource the API does not have (a book).
 */
export function notFound(main, text, { title = 'Page not found', link = h('a', { href: '/' }, 'Go to the start page') } = {}) {
  return replace(main, h('h1', {}, title), state('empty', text), h('p', {}, link));
}

/** An error from the API (or the network) in plain words, with field errors listed. */
export function errorBox(error, intro) {
  const box = h('div', { class: 'state error', role: 'alert' });
  const fields = error.fieldErrors || [];
  // With field errors the API's detail repeats the first in its own field names
  // ("new_password: ..."): the box says how many, in words, and lists them by their labels.
  const summary = fields.length
    ? (fields.length === 1 ? 'one field needs a change' : `${fields.length} fields need a change`)
    : error.message;
  box.append(h('p', {}, intro ? `${intro}: ${summary}` : summary.charAt(0).toUpperCase() + summary.slice(1)));
  if (fields.length) {
    box.append(h('ul', {}, fields.map((f) => h('li', {}, `${labelOf(f.field)}: ${inWords(f.message)}`))));
  }
  return box;
}

/**
 * Shows `error` at the top of `container` for an action that has no message area of its own (a
 * list row's Delete, a report's CSV, a session's Sign out): in place of the last such box there,
 * so repeated tries do not pile up, and scrolled into view, since the button may be far below.
 */
export function showActionError(container, error, intro) {
  for (const old of container.querySelectorAll(':scope > [data-action-error]')) old.remove();
  const box = errorBox(error, intro);
  box.setAttribute('data-action-error', '');
  container.prepend(box);
  box.scrollIntoView({ block: 'nearest' });
  return box;
}

// The API's field names whose form label is not the name itself in words (`count` is the
// generator's "How many books"); any other name is said by `labelOf` from its last part.
const LABELS = {
  q: 'Search',
  published_year: 'Year published',
  price_cents: 'Price',
  email: 'E-mail',
  isbn: 'ISBN',
  year_min: 'From year',
  year_max: 'To year',
  count: 'How many books',
  seed: 'Seed',
};

/** A field's message with the API's names of other fields in it said by their labels. */
export function inWords(message) {
  // A list of the values a parameter takes ("must be one of title, -title, published_year, ...")
  // names values, not fields: kept as the API wrote them.
  if (/\bone of\b/.test(String(message ?? ''))) return String(message);
  return String(message ?? '').replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (name) => (LABELS[name] ? `“${LABELS[name]}”` : name));
}

export function labelOf(field) {
  if (LABELS[field]) return LABELS[field];
  // A nested field names its last part (`profile.address.country` → Country), an item of a
  // list its position (`profile.address.lines[1]` → Lines 2).
  const last = String(field || '').split('.').pop();
  const item = /^(.*)\[(\d+)\]$/.exec(last);
  // Address lines are "Address line 2" in words, as the form labels them.
  const list = item && item[1] === 'lines' ? 'address line' : item && item[1];
  const text = (item ? `${list} ${Number(item[2]) + 1}` : last).replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Sets `controls` (form controls named as the address's parameters) from `query`, and leaves out
 * each value its control cannot show: an option a select does not offer (`limit=7`, `sort=bogus`),
 * text a number field cannot hold (`year_min=abc`). So the controls show exactly what the page
 * applies, never a default over a value sent anyway. A value a control can show but the API
 * refuses (`q=*`, `year_min=1e3`) is kept, and the refusal is said at its field; a blank one is no
 * value (as when the form is sent), and one given twice counts once. A control left out shows its
 * default (`data-default`, else a select's first option, else nothing).
 * Returns `applied` (`query` with those changes; other parameters, like `cursor`, untouched) and
 * `dropped`, the values left out with their controls' labels.
 */
export function readAddress(query, controls) {
  const applied = new URLSearchParams(query);
  const dropped = [];
  for (const control of controls) {
    const value = query.get(control.name);
    const fallback = control.dataset.default ?? (control.tagName === 'SELECT' ? control.options[0]?.value : '') ?? '';
    control.value = value ?? '';
    if (value !== null && value.trim() && control.value === value) {
      applied.set(control.name, value);
      continue;
    }
    control.value = fallback;
    applied.delete(control.name);
    if (value !== null && value.trim()) dropped.push({ label: labelText(control), value });
  }
  return { applied, dropped };
}

/** Puts `query` in this page's address in place of its own, with no new history entry. */
export function replaceQuery(query) {
  history.replaceState(history.state, '', `${location.pathname}${query.toString() ? `?${query}` : ''}`);
}

/** A control's name for the user: its label's text (`field`), else its aria-label. */
function labelText(control) {
  // (Not `control.labels`: empty while the form is not in the document yet.)
  return control.closest('.field')?.querySelector('label')?.textContent || control.getAttribute('aria-label') || control.name;
}

/**
 * Says what `readAddress` left out (null when nothing was), as a status under the filters. Long
 * crafted values are shortened: the point is which control, not the whole text.
 */
export function droppedNote(dropped) {
  if (!dropped.length) return null;
  const shown = dropped.map(({ label, value }) => `${label} “${value.length > 40 ? `${value.slice(0, 39)}…` : value}”`);
  return h('p', { class: 'state address-note', role: 'status' },
    `Not applied, since this page does not offer ${dropped.length === 1 ? 'it' : 'them'}: ${shown.join(', ')} (from the address). The controls show what is applied.`);
}

/**
 * A *Filters* button that shows and hides a filter `form` on a phone (under 40 rem, app.css), so
 * that the results start on the first screen; a wider screen shows the form and no button. The
 * button says how many filters are `active`, since they are out of sight. A native button
 * (Enter and Space) with `aria-expanded` and `aria-controls`, placed right before the form, so
 * the next Tab after opening it is the form's first field.
 */
export function filtersToggle(form, active = 0) {
  form.id = form.id || 'filters';
  form.classList.add('collapsed');
  const button = h('button', { type: 'button', class: 'secondary filters-toggle', 'aria-expanded': 'false', 'aria-controls': form.id },
    active ? `Filters (${active} applied)` : 'Filters');
  button.addEventListener('click', () => setFiltersOpen(form, button, form.classList.contains('collapsed')));
  return button;
}

/** Opens a form that `filtersToggle` hid: its fields have something to say (a refused filter). */
export function openFilters(form) {
  const button = document.querySelector(`.filters-toggle[aria-controls="${form.id}"]`);
  if (button) setFiltersOpen(form, button, true);
}

function setFiltersOpen(form, button, open) {
  form.classList.toggle('collapsed', !open);
  button.setAttribute('aria-expanded', String(open));
}

/** A labelled form control; `control` is an input/select/textarea element. */
export function field(label, control, hint) {
  const id = control.id || `f-${control.name || Math.random().toString(36).slice(2)}`;
  control.id = id;
  const parts = [h('label', { for: id }, label), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('small', { id: hintId, class: 'hint' }, hint));
  }
  parts.push(h('small', { id: `${id}-error`, class: 'field-error', hidden: true }));
  return h('div', { class: 'field' }, parts);
}

/** Adds `id` to (or removes it from) the ids in a control's aria-describedby, keeping the others. */
function describedBy(control, id, on) {
  const ids = (control.getAttribute('aria-describedby') || '').split(/\s+/).filter((x) => x && x !== id);
  if (on) ids.push(id);
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
}

/**
 * Marks form controls named in `fieldErrors` invalid, and clears the others. Each message is
 * linked to its control by aria-describedby (after the hint), so a screen reader on the field
 * reads the message, not only "invalid"; aria-errormessage names it too. The first invalid
 * control gets focus unless `focus` is false (errors found while a page loads).
 */
export function showFieldErrors(form, fieldErrors = [], { focus = true } = {}) {
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-errormessage');
    if (el.id) describedBy(el, `${el.id}-error`, false);
  }
  let first = null;
  for (const { field: name, message } of fieldErrors) {
    const control = form.elements.namedItem(name === 'price_cents' ? 'price' : name);
    if (!control || !control.id) continue;
    control.setAttribute('aria-invalid', 'true');
    const slot = document.getElementById(`${control.id}-error`);
    if (slot) {
      // Two errors for one field (rare) are both shown.
      slot.textContent = slot.textContent ? `${slot.textContent}; ${inWords(message)}` : inWords(message);
      slot.hidden = false;
      control.setAttribute('aria-errormessage', slot.id);
      describedBy(control, slot.id, true);
    }
    first = first || control;
  }
  if (first && focus) first.focus();
}

let toastTimer;
/** A short, polite message at the top of the page. */
export function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.classList.add('visible');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('visible'), 4000);
}

/** A modal confirmation (native <dialog>: focus trapped, Escape cancels). Resolves true/false. */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return modal(title, (close) => {
    const cancel = h('button', { type: 'button', class: 'secondary', value: 'cancel' }, 'Cancel');
    const ok = h('button', { type: 'button', class: danger ? 'danger' : '', value: 'ok' }, confirmLabel);
    ok.addEventListener('click', () => close(true));
    return { content: [h('p', {}, message), h('div', { class: 'actions' }, cancel, ok)], cancel, focus: cancel };
  });
}

/**
 * A modal dialog titled `title`, resolved with what its `close` is given (`false` on its Cancel
 * button or Escape). `build(close)` makes the rest: `{content, cancel, focus}`, the nodes under
 * the title, the Cancel button and what takes focus when the dialog opens.
 */
export function modal(title, build) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' });
    const close = (result) => {
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    const { content, cancel, focus } = build(close);
    dialog.append(h('h2', { id: 'dialog-title' }, title), ...content);
    cancel.addEventListener('click', () => close(false));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    focus.focus();
  });
}

export function formatPrice(cents) {
  if (cents === null || cents === undefined) return '—';
  return (Number(cents) / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function formatTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function formatNumber(value, digits = 0) {
  if (value === null || value === undefined) return '—';
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
}

/** Disables a button while `work` runs, so a double click cannot send twice. */
export async function busy(button, work) {
  const label = button.textContent;
  // Disabling the focused button drops focus to the page's body, where a keyboard or screen
  // reader user loses their place: it comes back to the button afterwards, unless the work moved
  // focus somewhere on purpose (an error summary, a field) or took the button away.
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (hadFocus && lost && button.isConnected) button.focus({ preventScroll: true });
  }
}
