// Reports: one filter form for all of them, a chart and a data table per report, and CSV
// downloads. Each report loads on its own, so one failure does not blank the page.

import { request } from '../api.js';
import { PX_PER_BAR, barChart } from '../charts.js';
import { busy, droppedNote, errorBox, field, filtersToggle, formatNumber, formatPrice, h, openFilters, readAddress, replace, replaceQuery, showActionError, showFieldErrors, state, toast } from '../dom.js';
import { genreSuggestions } from './books.js';

const FILTERS = ['genre', 'author', 'language', 'year_min', 'year_max'];
// Each report's own control, kept in the URL too (so reload, Back and a shared link keep it).
const CONTROLS = { limit: ['5', '10', '20', '50'], bucket: ['decade', 'year'], buckets: ['5', '10', '20', '50'] };

// The locale's digit-group separator ("," in 3,667,624.21; read from a million, since some
// locales group only from five digits), or '' when it has none.
const GROUP = (1234567).toLocaleString().replace(/\p{Nd}/gu, '').charAt(0);
/**
 * A figure for a summary card, with a line-break opportunity after each digit-group separator:
 * a figure too long for its card (the CSS shrinks it first) wraps as "12,345," / "678,901.23",
 * never inside a group.
 */
function figure(text) {
  if (!GROUP) return text;
  return String(text).split(GROUP).flatMap((part, i) => (i ? [GROUP, h('wbr'), part] : [part]));
}

/** A price for a chart's axis: 5, 27.5, 100K, 1.2M (the table and the tooltip give it whole). */
function compactPrice(cents) {
  return (Number(cents) / 100).toLocaleString(undefined, { notation: 'compact', maximumFractionDigits: 1 });
}

/**
 * The histogram's ranges are of equal width from the lowest price to the highest
 * (docs/reports.md), and the API takes no other range: a few prices far above the rest (one
 * mistyped 999,999.99) make every range so wide that one bar holds nearly the whole catalogue.
 * The chart cannot zoom in, so when one bar holds at least 90 % of the books, a note under it says
 * why, and what the percentiles the report gives say about the rest. Null otherwise.
 */
function stretchedNote(data) {
  const bars = data.histogram || [];
  const top = bars.reduce((a, b) => (b.books > a.books ? b : a), bars[0]);
  if (!top || top.books === data.books || top.books < 0.9 * data.books) return null;
  const width = top.to_cents - top.from_cents;
  return h('p', { class: 'chart-note', role: 'note' },
    `${formatNumber(top.books)} of ${formatNumber(data.books)} books are in one bar, ${formatPrice(top.from_cents)}–${formatPrice(top.to_cents)}: `
    + `a few prices far above the rest (the highest is ${formatPrice(data.max_cents)}) make every range ${formatPrice(width)} wide. `
    + `Half the books cost at most ${formatPrice(data.p50_cents)}, 90 % at most ${formatPrice(data.p90_cents)}.`);
}

export async function render(main, { query: address, navigate, isCurrent, onLeave }) {
  // One live chart per report; destroyed when its report reloads or the page is left.
  const charts = {};
  const dropChart = (name) => {
    if (charts[name]) charts[name].destroy();
    delete charts[name];
  };
  onLeave(() => Object.keys(charts).forEach(dropChart));
  const input = (name, attrs = {}) => h('input', { name, ...attrs });
  const genre = input('genre', { placeholder: 'Exact, e.g. Fantasy' });
  const form = h('form', { class: 'filters', role: 'search' },
    field('Genre', genre),
    field('Author', input('author', { placeholder: 'Exact, as written' })),
    field('Language', input('language', { maxlength: 2, size: 3 })),
    field('From year', input('year_min', { type: 'number', min: 1450, max: 3000 })),
    field('To year', input('year_max', { type: 'number', min: 1450, max: 3000 })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply filters'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear')));
  form.append(genreSuggestions(genre));
  // The report controls' values for the URL: those applied (the reports shown), or, for
  // "Apply filters", which draws every report again, those chosen.
  const applied = (select) => select.dataset.applied;
  const controlParams = (params = new URLSearchParams(), value = applied) => {
    for (const select of [authorsLimit, yearBucket, priceBuckets]) {
      if (value(select) !== select.dataset.default) params.set(select.name, value(select));
      else params.delete(select.name);
    }
    return params;
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (String(value).trim()) params.set(key, String(value).trim());
    controlParams(params, (select) => select.value);
    navigate(`/reports${params.toString() ? `?${params}` : ''}`);
  });
  form.addEventListener('reset', (event) => {
    event.preventDefault();
    navigate('/reports');
  });
  // A filter the API refuses (every report refuses it alike) is said once, at its field.
  const filterMessage = h('div', { class: 'form-message' });
  let filterRefused = false;
  function refuseFilters(error) {
    if (filterRefused) return;
    filterRefused = true;
    replace(filterMessage, errorBox(error, 'The reports could not be made'));
    showFieldErrors(form, error.fieldErrors, { focus: false });
    openFilters(form);
  }

  // A report's control, as on /users: choosing in the select changes nothing (an arrow key on
  // a closed select fires `change`); its "Apply" button loads the report with the choice and
  // keeps it in the URL, and focus stays on the select.
  const control = (name, title, select) => {
    select.dataset.applied = select.value;
    const apply = h('button', { type: 'button', class: 'secondary small', disabled: true, 'aria-label': `Apply to ${title.toLowerCase()}` }, 'Apply');
    const pending = () => {
      apply.disabled = select.value === select.dataset.applied;
    };
    select.addEventListener('change', pending);
    select.addEventListener('input', pending);
    apply.addEventListener('click', () => {
      if (select.value === select.dataset.applied) return;
      select.dataset.applied = select.value;
      pending();
      select.focus();
      keepInUrl();
      load(name);
    });
    return h('div', { class: 'report-control' }, select, apply);
  };

  const section = (name, title, controls) => {
    const body = h('div', { class: 'report-body', 'aria-live': 'polite' }, state('loading', `Loading ${title.toLowerCase()}…`));
    const download = h('button', { type: 'button', class: 'secondary small' }, 'Download CSV');
    const el = h('section', { class: 'card report', id: `report-${name}`, 'aria-labelledby': `report-${name}-title` },
      h('div', { class: 'report-head' }, h('h2', { id: `report-${name}-title` }, title), controls || null, download),
      body);
    return { el, body, download };
  };

  const authorsLimit = h('select', { name: 'limit', 'aria-label': 'How many authors', dataset: { default: '10' } },
    CONTROLS.limit.map((n) => h('option', { value: n }, `Top ${n}`)));
  const yearBucket = h('select', { name: 'bucket', 'aria-label': 'Group by', dataset: { default: 'decade' } },
    [['decade', 'By decade'], ['year', 'By year']].map(([v, l]) => h('option', { value: v }, l)));
  const priceBuckets = h('select', { name: 'buckets', 'aria-label': 'Price ranges', dataset: { default: '10' } },
    CONTROLS.buckets.map((n) => h('option', { value: n }, `${n} ranges`)));
  // As on the catalogue: the filters and the report controls show exactly what is applied; a
  // value from the address that none of them can show is left out, said under the form, and the
  // address rewritten to what is applied.
  const { applied: query, dropped } = readAddress(address,
    [...FILTERS.map((name) => form.elements.namedItem(name)), authorsLimit, yearBucket, priceBuckets]);
  if (query.toString() !== address.toString()) replaceQuery(query);
  const filters = {};
  for (const key of FILTERS) if (query.get(key)) filters[key] = query.get(key);

  const sections = {
    summary: section('summary', 'Summary'),
    genres: section('genres', 'Books by genre'),
    authors: section('authors', 'Top authors', control('authors', 'Top authors', authorsLimit)),
    years: section('years', 'Books by year', control('years', 'Books by year', yearBucket)),
    prices: section('prices', 'Prices', control('prices', 'Prices', priceBuckets)),
  };
  // The applied choices: what each report shows, and what its CSV holds.
  const extra = {
    summary: () => ({}),
    genres: () => ({}),
    authors: () => ({ limit: applied(authorsLimit) }),
    years: () => ({ bucket: applied(yearBucket) }),
    prices: () => ({ buckets: applied(priceBuckets) }),
  };

  const active = FILTERS.filter((key) => filters[key]).length;
  replace(main, h('h1', {}, 'Reports'), filtersToggle(form, active), form, droppedNote(dropped), filterMessage, h('div', { class: 'reports' }, Object.values(sections).map((s) => s.el)));

  // The latest load of each report: an answer that a newer load (a changed control) overtook
  // is dropped, so a slow first answer cannot draw over the one asked for.
  const latest = {};
  async function load(name) {
    const { body } = sections[name];
    const seq = (latest[name] || 0) + 1;
    latest[name] = seq;
    const stale = () => !isCurrent() || latest[name] !== seq;
    dropChart(name);
    replace(body, state('loading', 'Loading…'));
    let data;
    try {
      data = (await request('GET', `/api/reports/${name}`, { query: { ...filters, ...extra[name]() } })).data;
    } catch (error) {
      if (stale()) return;
      if (error.status === 422 && error.fieldErrors.some((f) => FILTERS.includes(f.field))) {
        refuseFilters(error);
        replace(body, state('empty', 'Change the filters above to see this report.'));
      } else {
        replace(body, errorBox(error, 'This report could not be loaded'));
      }
      return;
    }
    if (stale()) return;
    try {
      await draw(name, data, body);
    } catch (error) {
      replace(body, errorBox(error, 'This report could not be drawn'));
    }
  }

  async function chartWithTable(name, body, { labels, ticks, values, label, horizontal, histogram, columns, rows, empty }) {
    if (!labels.length) {
      replace(body, state('empty', empty));
      return;
    }
    const canvas = h('canvas', { role: 'img', 'aria-label': `${label}: bar chart; the same data is in the table below` });
    const box = h('div', { class: horizontal ? 'chart tall' : 'chart' }, canvas);
    // Every bar of a horizontal chart is labelled, so it grows with the bars (CSSOM, which the
    // CSP allows; no style attribute).
    if (horizontal) box.style.height = `${Math.max(260, labels.length * PX_PER_BAR + 60)}px`;
    replace(body,
      box,
      h('details', { class: 'data-table' },
        h('summary', {}, 'Show the data as a table'),
        h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, rows.map((r) => h('tr', {}, r.map((cell, i) => (i === 0 ? h('th', { scope: 'row', class: 'wrap' }, cell) : h('td', { class: 'num' }, cell))))))))));
    const chart = await barChart(canvas, { labels, ticks, values, label, horizontal, histogram });
    // Drawn for a load that a newer one replaced (its canvas is gone): not kept.
    if (isCurrent() && body.contains(canvas)) {
      dropChart(name);
      charts[name] = chart;
    } else {
      chart.destroy();
    }
  }

  async function draw(name, data, body) {
    if (name === 'summary') {
      const cards = [
        ['Books', formatNumber(data.books)],
        ['Authors', formatNumber(data.authors)],
        ['Genres', formatNumber(data.genres)],
        ['Languages', formatNumber(data.languages)],
        ['Total price', formatPrice(data.total_price_cents)],
        ['Average price', formatPrice(data.average_price_cents)],
        ['Average pages', formatNumber(data.average_pages, 1)],
        ['Years', data.earliest_year ? `${data.earliest_year}–${data.latest_year}` : '—'],
      ];
      replace(body, data.books
        ? h('dl', { class: 'stats' }, cards.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, figure(v)))))
        : state('empty', 'No books match these filters.'));
      return;
    }
    if (name === 'genres') {
      const items = data.items || [];
      await chartWithTable(name, body, {
        labels: items.map((g) => g.genre),
        values: items.map((g) => g.books),
        label: 'Books per genre',
        horizontal: true,
        columns: ['Genre', 'Books', 'Share', 'Average price', 'Average pages'],
        rows: items.map((g) => [g.genre, formatNumber(g.books), `${formatNumber(Number(g.share) * 100, 1)} %`, formatPrice(g.average_price_cents), formatNumber(g.average_pages, 1)]),
        empty: 'No books match these filters.',
      });
      return;
    }
    if (name === 'authors') {
      const items = data.items || [];
      await chartWithTable(name, body, {
        labels: items.map((a) => a.author),
        values: items.map((a) => a.books),
        label: 'Books per author',
        horizontal: true,
        columns: ['Author', 'Books', 'Average price'],
        rows: items.map((a) => [a.author, formatNumber(a.books), formatPrice(a.average_price_cents)]),
        empty: 'No books match these filters.',
      });
      return;
    }
    if (name === 'years') {
      const items = data.items || [];
      const period = (y) => (y.start === y.end ? String(y.start) : `${y.start}–${y.end}`);
      await chartWithTable(name, body, {
        labels: items.map(period),
        values: items.map((y) => y.books),
        label: `Books per ${data.bucket || 'period'}`,
        columns: ['Period', 'Books'],
        rows: items.map((y) => [period(y), formatNumber(y.books)]),
        empty: 'No books match these filters.',
      });
      return;
    }
    if (name === 'prices') {
      const items = data.histogram || [];
      const range = (b) => `${formatPrice(b.from_cents)}–${formatPrice(b.to_cents)}`;
      await chartWithTable(name, body, {
        labels: items.map(range),
        // Under the bars, "100K–200K": a phone has ~30 px a bar, not room for 100,004.50–200,004.00.
        ticks: items.map((b) => `${compactPrice(b.from_cents)}–${compactPrice(b.to_cents)}`),
        values: items.map((b) => b.books),
        label: 'Books per price range',
        histogram: true,
        columns: ['Price range', 'Books'],
        rows: items.map((b) => [range(b), formatNumber(b.books)]),
        empty: 'No books match these filters.',
      });
      if (items.length) {
        body.prepend(h('dl', { class: 'stats compact' },
          [['Median (p50)', data.p50_cents], ['p90', data.p90_cents], ['p99', data.p99_cents], ['Lowest', data.min_cents], ['Highest', data.max_cents]]
            .map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, figure(formatPrice(v)))))));
        const note = stretchedNote(data);
        if (note) body.querySelector('.chart').after(note);
      }
    }
  }

  for (const [name, { download }] of Object.entries(sections)) {
    download.addEventListener('click', () => busy(download, async () => {
      try {
        const response = await request('GET', `/api/reports/${name}`, {
          query: { ...filters, ...extra[name](), format: 'csv' },
          accept: 'text/csv',
          raw: true,
        });
        const blob = await response.blob();
        const url = URL.createObjectURL(blob);
        const link = h('a', { href: url, download: `folio-${name}.csv`, hidden: true });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        toast(`Downloaded folio-${name}.csv`);
      } catch (error) {
        showActionError(sections[name].body, error, 'The CSV could not be downloaded');
      }
    }));
  }
  function keepInUrl() {
    replaceQuery(controlParams(new URLSearchParams(location.search)));
  }

  await Promise.all(Object.keys(sections).map((name) => load(name)));
}
