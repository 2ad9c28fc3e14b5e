// Create and edit a book. Edits send the ETag read with the book as If-Match; a 412 means
// someone else saved first, and the page shows what differs and lets the user choose. A draft
// filled in again after the session ended (drafts.js) keeps the ETag it was typed against: if
// the book has been saved since, the page shows the same comparison at once.

import { can, request } from '../api.js';
import { busy, errorBox, field, formatPrice, h, labelOf, notFound, replace, showFieldErrors, state, toast } from '../dom.js';
import { backToList, listLink, remove } from './books.js';
import { markClean, versioned } from '../drafts.js';

const FIELDS = ['title', 'author', 'genre', 'isbn', 'published_year', 'pages', 'price_cents', 'language', 'description'];

function controls(book) {
  const nextYear = new Date().getFullYear() + 1;
  const v = (name) => (book && book[name] !== undefined && book[name] !== null ? book[name] : '');
  return {
    title: h('input', { name: 'title', required: true, maxlength: 300, value: v('title') }),
    author: h('input', { name: 'author', required: true, maxlength: 200, value: v('author') }),
    genre: h('input', { name: 'genre', required: true, maxlength: 50, value: v('genre') }),
    isbn: h('input', { name: 'isbn', required: true, inputmode: 'numeric', value: v('isbn'), placeholder: '978-0-306-40615-7' }),
    published_year: h('input', { name: 'published_year', type: 'number', required: true, min: 1450, max: nextYear, value: v('published_year') }),
    pages: h('input', { name: 'pages', type: 'number', required: true, min: 1, max: 100000, value: v('pages') }),
    price: h('input', { name: 'price', type: 'number', required: true, min: 0, max: 1000000, step: '0.01', value: book ? (Number(book.price_cents) / 100).toFixed(2) : '' }),
    language: h('input', { name: 'language', required: true, minlength: 2, maxlength: 2, value: v('language') || (book ? '' : 'en'), size: 3 }),
    description: h('textarea', { name: 'description', maxlength: 10000, rows: 5 }, v('description')),
  };
}

const PRICE_DECIMALS = 'must have at most two decimals (whole cents)';

/**
 * The price field in cents: `{cents}` (null when empty), or `{error}`. The form is novalidate,
 * so `step="0.01"` is never enforced: a third decimal (`12.505`, `1e-3`) would be rounded away
 * unseen, so it is refused at the field instead. Read from the text, so trailing zeros
 * (`12.500`) are no decimals and no floating-point product decides.
 */
export function readPrice(input) {
  const notANumber = { error: 'must be a number, e.g. 12.50' };
  const text = input.value.trim();
  if (text === '') return input.validity && input.validity.badInput ? notANumber : { cents: null };
  const parts = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!parts || (!parts[1] && !parts[2])) return notANumber;
  const [, whole, fraction = '', exponent = '0'] = parts;
  let digits = `${whole}${fraction}`;
  let scale = fraction.length - Number(exponent);
  while (scale > 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale -= 1;
  }
  if (scale > 2 && /[1-9]/.test(digits)) return { error: PRICE_DECIMALS };
  const cents = Math.round(Number(text) * 100);
  // The API's range (0 to 100,000,000 cents), said in the field's own units.
  if (!(cents >= 0 && cents <= MAX_PRICE_CENTS)) return { error: `must be from 0.00 to ${formatPrice(MAX_PRICE_CENTS)}` };
  return { cents };
}

const MAX_PRICE_CENTS = 100_000_000;

function readForm(c) {
  // A number the field cannot read ("1e", "1e400": Infinity, which JSON sends as null) is sent as
  // written, so the API says what is wrong with it rather than "is required".
  const int = (input) => {
    const text = input.value.trim();
    if (text === '') return input.validity && input.validity.badInput ? input.value : null;
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  };
  const price = readPrice(c.price).cents ?? null;
  return {
    title: c.title.value.trim(),
    author: c.author.value.trim(),
    genre: c.genre.value.trim(),
    isbn: c.isbn.value.trim(),
    published_year: int(c.published_year),
    pages: int(c.pages),
    price_cents: price,
    language: c.language.value.trim().toLowerCase(),
    description: c.description.value,
  };
}

function fill(c, book) {
  for (const name of FIELDS) {
    if (name === 'price_cents') c.price.value = (Number(book.price_cents) / 100).toFixed(2);
    else c[name].value = book[name] ?? '';
  }
}

/** A value as the API stores it, for telling real differences apart (ISBN: its digits only). */
function comparable(name, value) {
  const text = String(value ?? '');
  return name === 'isbn' ? text.replace(/[^0-9Xx]/g, '').toUpperCase() : text;
}

function display(name, value) {
  if (name === 'price_cents') return formatPrice(value);
  if (value === null || value === undefined || value === '') return '(empty)';
  return String(value);
}

export async function render(main, ctx) {
  const { params, navigate, isCurrent } = ctx;
  const id = params[0];
  const creating = id === undefined;
  let book = null;
  let etag = null;
  if (!creating) {
    try {
      const result = await request('GET', `/api/books/${encodeURIComponent(id)}`);
      book = result.data;
      etag = result.etag;
    } catch (error) {
      if (!isCurrent()) return;
      // No such book (deleted, or an address that was never one, `/books/a.b`): the app's own
      // "not found" page, not the API's words about a resource.
      if (error.status === 404) {
        notFound(main, `There is no book at ${location.pathname}. It may have been deleted, or the address is wrong.`,
          { title: 'Book not found', link: listLink(navigate, '← Catalogue') });
        return;
      }
      replace(main, h('h1', {}, 'Book'), errorBox(error, 'The book could not be loaded'),
        h('p', {}, h('a', { href: '/books' }, 'Back to the catalogue')));
      return;
    }
    if (!isCurrent()) return;
  }
  const editable = creating ? can('create:books') : can('update:books');
  const c = controls(book);
  // Read-only, not disabled: a reader can still reach each field with Tab, select its text and
  // scroll a long description; the style says it cannot be changed.
  for (const el of Object.values(c)) el.readOnly = !editable;
  const submit = h('button', { type: 'submit', hidden: !editable }, creating ? 'Create book' : 'Save changes');
  const message = h('div', { class: 'form-message' });
  const conflict = h('div', { class: 'conflict', hidden: true });
  const form = h('form', { class: 'card book-form', novalidate: true },
    h('div', { class: 'grid' },
      field('Title', c.title),
      field('Author', c.author),
      field('Genre', c.genre),
      field('ISBN', c.isbn, 'ISBN-13; hyphens and spaces are fine.'),
      field('Year published', c.published_year),
      field('Pages', c.pages),
      field('Price', c.price, 'In currency units, e.g. 12.50.'),
      field('Language', c.language, 'Two-letter ISO 639-1 code, e.g. en.')),
    field('Description', c.description),
    conflict,
    message,
    h('div', { class: 'actions' },
      submit,
      listLink(navigate, editable ? 'Cancel' : 'Back', { class: 'button secondary' }),
      !creating && can('delete:books') ? h('button', {
        type: 'button',
        class: 'danger',
        on: {
          click: (event) => remove(book, event.currentTarget,
            () => navigate(backToList().href, { replace: true, state: backToList().state }), etag),
        },
      }, 'Delete') : null));

  const heading = h('h1', {}, creating ? 'New book' : book.title);
  const meta = book ? h('p', { class: 'meta' }) : null;
  // The heading, the tab's title and the version line follow the book as saved or loaded.
  function showBook() {
    if (!book) return;
    heading.textContent = book.title;
    meta.textContent = `Version ${book.version ?? '—'} · updated ${new Date(book.updated_at).toLocaleString()}`;
    if (isCurrent()) document.title = `${book.title} · Folio`;
  }

  async function save(overwriteEtag) {
    // Refused here as the API's 422 would be: at the field, nothing sent.
    const { error: priceError } = readPrice(c.price);
    if (priceError) {
      throw Object.assign(new Error('Some values are not valid.'), { fieldErrors: [{ field: 'price_cents', message: priceError }] });
    }
    const body = readForm(c);
    if (creating) {
      const result = await request('POST', '/api/books', { body });
      markClean(form);
      toast(`Created “${result.data.title}”.`);
      navigate(`/books/${encodeURIComponent(result.data.id)}`, { replace: true });
      return;
    }
    const result = await request('PUT', `/api/books/${encodeURIComponent(id)}`, {
      body,
      headers: { 'If-Match': overwriteEtag || etag },
    });
    book = result.data;
    etag = result.etag || etag;
    fill(c, book);
    markClean(form);
    showBook();
    conflict.hidden = true;
    submit.hidden = !editable;
    replace(message, h('p', { class: 'state success', role: 'status' }, 'Saved.'));
    toast(`Saved “${book.title}”.`);
  }

  // `restored`: the comparison is for a draft typed before the session ended, not a refused save.
  // A refused save is compared three ways: the version this page loaded (the base), the form
  // (mine) and the latest (theirs). A field only they changed takes their value, a field only I
  // changed keeps mine, and only a field both changed, differently, is a choice to make: saving
  // mine never puts back an old value over a colleague's edit of another field. A restored draft
  // was typed on a version this page never saw, so there every difference is a choice.
  async function showConflict(mine, { restored = false } = {}) {
    let theirs;
    let theirEtag;
    try {
      const latest = await request('GET', `/api/books/${encodeURIComponent(id)}`);
      theirs = latest.data;
      theirEtag = latest.etag;
    } catch (error) {
      replace(message, errorBox(error, 'This book changed and its new version could not be loaded'));
      return;
    }
    const base = restored ? null : book;
    const same = (name, a, b) => comparable(name, a) === comparable(name, b);
    const mineChanged = (name) => !base || !same(name, mine[name], base[name]);
    const theirsChanged = (name) => !base || !same(name, theirs[name], base[name]);
    const rows = FIELDS.filter((name) => !same(name, mine[name], theirs[name]) || (base && theirsChanged(name)));
    const clashes = rows.filter((name) => mineChanged(name) && theirsChanged(name) && !same(name, mine[name], theirs[name]));
    // What "save mine" sends: theirs, with the fields I changed.
    const merged = { ...theirs };
    for (const name of FIELDS) if (mineChanged(name)) merged[name] = mine[name];
    const outcome = (name) => {
      if (same(name, mine[name], theirs[name])) return 'same';
      if (!mineChanged(name)) return 'theirs kept';
      if (!theirsChanged(name)) return 'yours';
      return 'choose';
    };
    const overwrite = h('button', { type: 'button', class: clashes.length ? 'danger' : '' },
      clashes.length ? 'Save mine over theirs' : 'Save my changes with theirs');
    const useTheirs = h('button', { type: 'button', class: 'secondary' }, 'Discard mine, load theirs');
    overwrite.addEventListener('click', () => busy(overwrite, async () => {
      try {
        fill(c, merged);
        await save(theirEtag);
      } catch (error) {
        if (error.status === 412) return showConflict(readForm(c), { restored });
        replace(message, errorBox(error, 'Not saved'));
        showFieldErrors(form, error.fieldErrors);
      }
    }));
    useTheirs.addEventListener('click', () => {
      book = theirs;
      etag = theirEtag;
      fill(c, theirs);
      markClean(form);
      showBook();
      conflict.hidden = true;
    submit.hidden = !editable;
      replace(message, h('p', { class: 'state', role: 'status' }, 'Loaded the latest version. Your changes were discarded.'));
    });
    const heading = h('h2', { tabindex: '-1' }, 'Someone else changed this book');
    const cols = base
      ? ['Field', 'When you opened it', 'Yours', 'Saved by them', 'Saving yours keeps']
      : ['Field', 'Yours', 'Saved by them'];
    const kept = (name) => ({ same: 'either (the same)', 'theirs kept': 'theirs', yours: 'yours', choose: 'yours (both changed it)' })[outcome(name)];
    replace(conflict,
      heading,
      h('p', {}, restored
        ? 'What you typed before your session ended was typed on an older version: this book was saved by someone else while you were signed out. Nothing of yours is saved yet. Compare and choose:'
        : clashes.length
          ? `Your changes were not saved, because this book was saved by someone else after you opened it. You both changed ${clashes.map(labelOf).join(', ')}: saving yours replaces their value there. Compare and choose:`
          : 'Your changes were not saved, because this book was saved by someone else after you opened it. You changed different fields: saving yours keeps their changes too.'),
      rows.length
        ? h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, cols.map((col) => h('th', { scope: 'col' }, col)))),
          h('tbody', {}, rows.map((name) => h('tr', {},
            h('th', { scope: 'row' }, labelOf(name)),
            base ? h('td', { class: 'wrap' }, display(name, base[name])) : null,
            h('td', { class: 'wrap' }, display(name, mine[name])),
            h('td', { class: 'wrap' }, display(name, theirs[name])),
            base ? h('td', {}, kept(name)) : null)))))
        : h('p', {}, 'Their version has the same values as yours.'),
      h('div', { class: 'actions' }, overwrite, useTheirs));
    conflict.hidden = false;
    conflict.setAttribute('role', 'alert');
    // The form's own Save would send the refused version again: the choice is made above.
    submit.hidden = true;
    // Focus on the explanation, not on a button that overwrites: Enter must not decide.
    heading.focus();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    // Enter in a read-only field submits the form too: a reader has nothing to save.
    if (!editable) return;
    replace(message);
    showFieldErrors(form, []);
    await busy(submit, async () => {
      const mine = readForm(c);
      try {
        await save();
      } catch (error) {
        if (error.status === 412) {
          await showConflict(mine);
          return;
        }
        if (error.status === 409) {
          error.message = 'Another book already has this ISBN.';
          error.fieldErrors = [{ field: 'isbn', message: 'already used by another book' }];
        }
        replace(message, errorBox(error, creating ? 'The book was not created' : 'Not saved'));
        showFieldErrors(form, error.fieldErrors);
      }
    });
  });

  if (!creating) {
    // A draft typed against another version than the one loaded now: Save keeps sending the
    // version it was typed against (so the API refuses it with 412 rather than overwriting the
    // newer one), and the comparison is shown at once.
    versioned(form, () => etag, (kept) => {
      if (kept === etag) return;
      if (kept) etag = kept;
      showConflict(readForm(c), { restored: true });
    });
  }

  replace(main,
    h('p', { class: 'breadcrumb' }, listLink(navigate, '← Catalogue')),
    heading,
    meta,
    editable ? null : state('empty', 'Your account can read this book but not change it.'),
    form);
  showBook();
}
