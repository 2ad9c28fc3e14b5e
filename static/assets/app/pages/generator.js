// The generator: preview (nothing written), run (all or nothing), and the history of runs.

import { can, request } from '../api.js';
import { busy, errorBox, field, formatNumber, formatPrice, formatTime, h, replace, showFieldErrors, state, toast } from '../dom.js';

export async function render(main, { isCurrent }) {
  const count = h('input', { name: 'count', type: 'number', min: 1, max: 100000, required: true, value: '100' });
  const seed = h('input', { name: 'seed', type: 'number', step: '1', placeholder: 'random' });
  const previewButton = h('button', { type: 'button', class: 'secondary' }, 'Preview');
  const runButton = h('button', { type: 'submit', hidden: !can('generate:books') }, 'Generate books');
  const message = h('div', { class: 'form-message' });
  const preview = h('section', { class: 'preview', 'aria-live': 'polite' });
  const history = h('section', { 'aria-live': 'polite' }, state('loading', 'Loading the history…'));
  const form = h('form', { class: 'card generator-form', novalidate: true },
    h('div', { class: 'grid' },
      field('How many books', count, '1 to 100,000. The preview shows at most 100.'),
      field('Seed', seed, 'The same seed always yields the same books. Leave empty for a random seed.')),
    message,
    h('div', { class: 'actions' }, runButton, previewButton));

  const values = () => {
    const body = { count: Number(count.value) };
    if (seed.value.trim() !== '') body.seed = Number(seed.value);
    return body;
  };

  previewButton.addEventListener('click', () => busy(previewButton, async () => {
    replace(message);
    showFieldErrors(form, []);
    const { count: n, seed: s } = values();
    replace(preview, state('loading', 'Generating a preview…'));
    try {
      const result = await request('GET', '/api/generator/preview', { query: { count: Math.min(Math.max(n || 1, 1), 100), seed: s } });
      const items = result.data.items || [];
      replace(preview,
        h('h2', {}, `Preview (${items.length})`),
        items.length ? h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, ['Title', 'Author', 'Genre', 'Year', 'Pages', 'Price', 'Language', 'ISBN'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, items.map((b) => h('tr', {},
            h('td', {}, b.title), h('td', {}, b.author), h('td', {}, b.genre),
            h('td', { class: 'num' }, b.published_year), h('td', { class: 'num' }, b.pages),
            h('td', { class: 'num' }, formatPrice(b.price_cents)), h('td', {}, b.language), h('td', {}, b.isbn)))))) : state('empty', 'The preview is empty.'));
    } catch (error) {
      replace(preview);
      replace(message, errorBox(error, 'No preview'));
      showFieldErrors(form, error.fieldErrors);
    }
  }));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(runButton, async () => {
      replace(message, state('loading', 'Generating… large runs take a few seconds.'));
      showFieldErrors(form, []);
      try {
        const result = await request('POST', '/api/generator/runs', { body: values() });
        const run = result.data;
        replace(message, h('p', { class: 'state success', role: 'status' },
          `Added ${formatNumber(run.inserted)} books in ${formatNumber(run.elapsed_ms)} ms (seed ${run.seed}).`));
        toast(`Generated ${formatNumber(run.inserted)} books.`);
        loadHistory();
      } catch (error) {
        replace(message, errorBox(error, 'Nothing was generated'));
        showFieldErrors(form, error.fieldErrors);
      }
    });
  });

  async function loadHistory() {
    try {
      const result = await request('GET', '/api/generator/runs');
      if (!isCurrent()) return;
      const runs = result.data.items || [];
      replace(history, h('h2', {}, 'History'), runs.length
        ? h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, ['When', 'Requested', 'Inserted', 'Seed', 'Took'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, runs.map((r) => h('tr', {},
            h('td', {}, formatTime(r.created_at)),
            h('td', { class: 'num' }, formatNumber(r.count)),
            h('td', { class: 'num' }, formatNumber(r.inserted)),
            h('td', { class: 'num' }, r.seed),
            h('td', { class: 'num' }, `${formatNumber(r.elapsed_ms)} ms`))))))
        : state('empty', 'No runs yet.'));
    } catch (error) {
      if (!isCurrent()) return;
      replace(history, h('h2', {}, 'History'), errorBox(error, 'The history could not be loaded'));
    }
  }

  replace(main,
    h('h1', {}, 'Generator'),
    h('p', {}, 'Fill the catalogue with realistic made-up books.'),
    can('generate:books') ? null : state('empty', 'Your account can preview but not generate books.'),
    form, preview, history);
  await loadHistory();
}
