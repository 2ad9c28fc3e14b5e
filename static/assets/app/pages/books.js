// The catalogue: search, filters, sort and keyset pagination, with the state in the URL so that
// reload, back and shared links show the same page.

import { can, request } from '../api.js';
import { busy, confirmDialog, droppedNote, errorBox, field, filtersToggle, formatPrice, h, openFilters, readAddress, replace, replaceQuery, showActionError, showFieldErrors, state, toast } from '../dom.js';

const SORTS = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['title', 'Title A–Z'],
  ['-title', 'Title Z–A'],
  ['published_year', 'Year, oldest first'],
  ['-published_year', 'Year, newest first'],
  ['price_cents', 'Price, lowest first'],
  ['-price_cents', 'Price, highest first'],
];
const FILTERS = ['q', 'author', 'genre', 'language', 'year_min', 'year_max', 'sort', 'limit'];

// The cursors of the pages before this one, for "Previous" and the page number (keyset
// cursors only go forward): kept in the history entry of each page, so that Back, Forward and a
// reload show the number and the way back that belong to that page. `null` when this page's
// place is not known (a shared link to a later page): then there is no number, and "Previous"
// goes to the first page.
// The catalogue's genres, offered as the genre filter's suggestions (the catalogue and the
// reports): genre and author match exactly, case included, so a value as stored saves a search
// that finds nothing. Read from the genres report (cached by the API), kept for the page's life
// once the catalogue has any; without the report's scope, no list.
let genreNames = null;
export function genreSuggestions(input) {
  const list = h('datalist', { id: `${input.name}-suggestions` });
  input.setAttribute('list', list.id);
  if (can('read:reports')) {
    const names = genreNames || request('GET', '/api/reports/genres')
      .then((r) => (r.data.items || []).map((g) => g.genre))
      .catch(() => []);
    names.then((found) => {
      genreNames = found.length ? names : null;
      list.replaceChildren(...found.map((name) => h('option', { value: name })));
    });
  }
  return list;
}

// The catalogue page last shown (its URL with filters and cursor, and its history entry with the
// trail), for the book page's "← Catalogue", Cancel and after a delete: back to where the user
// was, not to page 1 of everything. For this page's life only; a reloaded book page goes to
// /books.
let lastList = { href: '/books', state: {} };
export function backToList() {
  return lastList;
}

/** A link back to the catalogue page last shown, with its page number and "Previous". */
export function listLink(navigate, label, attrs = {}) {
  const { href, state: entry } = lastList;
  return h('a', {
    ...attrs,
    href,
    on: {
      click: (event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href, { state: entry });
      },
    },
  }, label);
}

function trailOf(filterKey, cursor) {
  const saved = history.state;
  if (saved && saved.trailKey === filterKey && Array.isArray(saved.trail)) return saved.trail;
  return cursor ? null : [];
}

export async function render(main, ctx) {
  const { navigate, isCurrent } = ctx;
  const input = (name, attrs = {}) => h('input', { name, ...attrs });
  const genre = input('genre', { placeholder: 'Exact, e.g. Fantasy' });
  const genreList = genreSuggestions(genre);
  // The API's defaults, shown when the address names none.
  const sort = h('select', { name: 'sort', dataset: { default: '-created_at' } }, SORTS.map(([value, label]) => h('option', { value }, label)));
  const limit = h('select', { name: 'limit', dataset: { default: '20' } }, ['10', '20', '50', '100'].map((n) => h('option', { value: n }, n)));
  const form = h('form', { class: 'filters', role: 'search' },
    field('Search', input('q', { type: 'search', placeholder: 'Words in title, author, description' })),
    field('Author', input('author', { placeholder: 'Exact, as written' })),
    field('Genre', genre),
    field('Language', input('language', { maxlength: 2, size: 3, placeholder: 'en' })),
    field('From year', input('year_min', { type: 'number', min: 1450, max: 3000 })),
    field('To year', input('year_max', { type: 'number', min: 1450, max: 3000 })),
    field('Sort', sort),
    field('Per page', limit),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Search'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear')));
  form.append(genreList);
  // The controls show exactly what is applied: a value from the address that none of them can
  // show is left out, said under the form, and the address rewritten (no new history entry) to
  // the search applied. Its cursor was made for other parameters: the first page, then.
  const { applied: query, dropped } = readAddress(ctx.query, FILTERS.map((name) => form.elements.namedItem(name)));
  if (dropped.length) query.delete('cursor');
  if (query.toString() !== ctx.query.toString()) replaceQuery(query);
  lastList = { href: location.pathname + location.search, state: history.state || {} };
  const filterKey = FILTERS.map((k) => `${k}=${query.get(k) || ''}`).join('&');
  const trail = trailOf(filterKey, query.get('cursor'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (String(value).trim()) params.set(key, String(value).trim());
    // Searched: focus goes to the results, not to the top of the page (12 Tabs from the first book).
    navigate(`/books${params.toString() ? `?${params}` : ''}`, { focus: 'results' });
  });
  form.addEventListener('reset', (event) => {
    event.preventDefault();
    navigate('/books');
  });

  // The results: a region of their own, focusable, so that a search can move focus there (the
  // first book is then one Tab away, and a screen reader says "Search results" and reads them).
  const results = h('section', {
    class: 'results', 'aria-label': 'Search results', tabindex: '-1', 'aria-busy': 'true',
  }, state('loading', 'Loading books…'));
  replace(main,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Catalogue'),
      can('create:books') ? h('a', { class: 'button', href: '/books/new' }, 'New book') : null),
    filtersToggle(form, FILTERS.filter((k) => k !== 'sort' && k !== 'limit' && query.get(k)).length),
    form,
    droppedNote(dropped),
    results);
  // After a search (not a navigation: a link, Back, a reload, paging), focus is on the results
  // at once, so it is never left on the form that was just replaced; they fill in around it.
  if (ctx.intent && ctx.intent.focus === 'results') {
    ctx.focus = false;
    results.focus();
  }

  const params = { count: 'true' };
  for (const key of FILTERS) if (query.get(key)) params[key] = query.get(key);
  if (query.get('cursor')) params.cursor = query.get('cursor');
  let page;
  try {
    page = (await request('GET', '/api/books', { query: params })).data;
  } catch (error) {
    if (!isCurrent()) return;
    replace(results, errorBox(error, 'The books could not be loaded'));
    results.setAttribute('aria-busy', 'false');
    // A refused filter is also said at its field (the form's controls carry the API's names).
    if (error.fieldErrors.length) {
      showFieldErrors(form, error.fieldErrors, { focus: false });
      openFilters(form);
    }
    return;
  }
  if (!isCurrent()) return;
  results.setAttribute('aria-busy', 'false');
  const items = page.items || [];

  const withCursor = (cursor) => {
    const next = new URLSearchParams(query);
    if (cursor) next.set('cursor', cursor);
    else next.delete('cursor');
    return `/books${next.toString() ? `?${next}` : ''}`;
  };
  const pageNumber = trail ? trail.length + 1 : null;
  const prev = h('button', {
    type: 'button',
    class: 'secondary',
    disabled: !query.get('cursor'),
    on: {
      click: () => navigate(withCursor(trail && trail.length ? trail[trail.length - 1] : null),
        { state: { trailKey: filterKey, trail: trail ? trail.slice(0, -1) : [] } }),
    },
  }, trail ? '← Previous' : '← First page');
  const next = h('button', {
    type: 'button',
    class: 'secondary',
    disabled: !page.next_cursor,
    on: {
      click: () => navigate(withCursor(page.next_cursor),
        { state: { trailKey: filterKey, trail: trail ? [...trail, query.get('cursor') || ''] : null } }),
    },
  }, 'Next →');

  if (!items.length) {
    const total = typeof page.total === 'number' ? page.total : null;
    if (query.get('cursor')) {
      // A later page that emptied (its last book deleted, here or elsewhere): the way back.
      replace(results,
        state('empty', `No more books on this page.${total ? ` ${total.toLocaleString()} book${total === 1 ? '' : 's'} on earlier pages.` : ''}`),
        h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev));
      return;
    }
    const filtered = FILTERS.some((k) => k !== 'sort' && k !== 'limit' && query.get(k));
    replace(results, state('empty', filtered ? 'No books match these filters.' : 'The catalogue is empty. Add a book or run the generator.'));
    return;
  }

  const rows = items.map((book) => h('tr', {},
    h('td', { class: 'wrap' }, h('a', { href: `/books/${encodeURIComponent(book.id)}` }, book.title)),
    h('td', { class: 'wrap' }, book.author),
    h('td', { class: 'hide-narrow wrap' }, book.genre),
    h('td', { class: 'num' }, book.published_year),
    h('td', { class: 'num' }, formatPrice(book.price_cents)),
    h('td', { class: 'hide-narrow' }, book.language),
    h('td', { class: 'row-actions' },
      can('update:books') ? h('a', { href: `/books/${encodeURIComponent(book.id)}`, 'aria-label': `Edit ${book.title}` }, 'Edit') : null,
      can('delete:books') ? h('button', {
        type: 'button',
        class: 'link-button danger',
        'aria-label': `Delete ${book.title}`,
        on: { click: (event) => remove(book, event.currentTarget, () => navigate(location.pathname + location.search, { replace: true, state: history.state || {} })) },
      }, 'Delete') : null)));

  const total = typeof page.total === 'number' ? page.total : null;
  replace(results,
    // The count is announced (a status), not the whole table: the region itself is not live.
    h('p', { class: 'summary', role: 'status' }, [
      total === null ? null : `${total.toLocaleString()} book${total === 1 ? '' : 's'}`,
      pageNumber === null ? null : `page ${pageNumber}`,
    ].filter(Boolean).join(' · ') || 'A later page'),
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', { class: 'visually-hidden' }, 'Books'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Title'),
          h('th', { scope: 'col' }, 'Author'),
          h('th', { scope: 'col', class: 'hide-narrow' }, 'Genre'),
          h('th', { scope: 'col', class: 'num' }, 'Year'),
          h('th', { scope: 'col', class: 'num' }, 'Price'),
          h('th', { scope: 'col', class: 'hide-narrow' }, 'Language'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, rows))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, next));
}

/** Deletes after confirmation. From the list there is no ETag: the confirmation names the book. */
export async function remove(book, button, done, etag) {
  const ok = await confirmDialog({
    title: 'Delete this book?',
    message: `“${book.title}” by ${book.author} will be removed from the catalogue. This cannot be undone.`,
    confirmLabel: 'Delete',
    danger: true,
  });
  if (!ok) return false;
  try {
    await busy(button, () => request('DELETE', `/api/books/${encodeURIComponent(book.id)}`, {
      headers: etag ? { 'If-Match': etag } : {},
    }));
  } catch (error) {
    if (error.status === 412) error.message = 'This book was changed by someone else since you opened it. Reload it, check the changes, then delete again.';
    if (error.status === 404) {
      toast('That book was already deleted.');
      done();
      return true;
    }
    const slot = document.getElementById('main');
    showActionError(slot, error, 'The book was not deleted');
    return false;
  }
  toast(`Deleted “${book.title}”.`);
  done();
  return true;
}
