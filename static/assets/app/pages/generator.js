// The generator: preview (nothing written), run (all or nothing), and the history of runs.

import { can, request } from '../api.js';
import { busy, errorBox, field, formatNumber, formatPrice, formatTime, h, replace, showFieldErrors, state, toast } from '../dom.js';

/** The hourly quota's refusal without the operator's variable name in it. */
function quotaInWords(message) {
  return message.replace(/has generated (\d+) books in the last hour and generator_books_per_hour is (\d+)/,
    (_, done, limit) => `has generated ${formatNumber(Number(done))} books in the last hour, and the limit is ${formatNumber(Number(limit))} books an hour`);
}

const MAX_SEED = Number.MAX_SAFE_INTEGER; // the API takes JSON integers 0..2^53 - 1
const MAX_COUNT = 100_000; // books in one run (API.md)

/**
 * The seed field as the API will read it: `{seed}` (undefined when empty: a random seed), or
 * `{error}`. Any spelling of a whole number in range is that number (`0005` is 5, `1e3` is
 * 1000), read exactly from the text: `Number('9007199254740990.6')` would round to another seed
 * nobody typed, so a fraction is refused, as is text the number field cannot read (it then
 * reports an empty value, which is not a request for a random seed).
 */
export function readSeed(input) {
  const error = { error: `must be a whole number from 0 to ${formatNumber(MAX_SEED)}` };
  const text = input.value.trim();
  if (text === '') return input.validity && input.validity.badInput ? error : { seed: undefined };
  const parts = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!parts || (parts[2] === '' && !parts[3])) return error;
  const [, sign, whole, fraction = '', exponent = '0'] = parts;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return { seed: 0 };
  if (sign === '-') return error;
  let scale = Number(exponent) - fraction.length;
  const significant = digits.replace(/0+$/, '');
  scale += digits.length - significant.length;
  digits = significant;
  // A fraction, or 10^16 and more (above 2^53 - 1 already): refused before any BigInt is built.
  if (scale < 0 || digits.length + scale > 16) return error;
  const value = BigInt(digits) * 10n ** BigInt(scale);
  return value > BigInt(MAX_SEED) ? error : { seed: Number(value) };
}

export async function render(main, { isCurrent }) {
  const count = h('input', { name: 'count', type: 'number', min: 1, max: MAX_COUNT, required: true, value: '100' });
  const seed = h('input', { name: 'seed', type: 'number', step: '1', placeholder: 'random' });
  const previewButton = h('button', { type: 'button', class: 'secondary' }, 'Preview');
  const runButton = h('button', { type: 'submit', hidden: !can('generate:books') }, 'Generate books');
  const message = h('div', { class: 'form-message' });
  const preview = h('section', { class: 'preview', 'aria-live': 'polite' });
  const history = h('section', {}, state('loading', 'Loading the history…'));
  const form = h('form', { class: 'card generator-form', novalidate: true },
    h('div', { class: 'grid' },
      field('How many books', count, '1 to 100,000. The preview shows at most 100.'),
      field('Seed', seed, 'The same seed always yields the same books. Leave empty for a random seed; a preview fills in the seed it drew, so that the run adds the books previewed.')),
    message,
    h('div', { class: 'actions' }, runButton, previewButton));

  // The request's values, or `{refused}`: an error for the seed field, said as the API's 422 is.
  const values = () => {
    const { seed: s, error } = readSeed(seed);
    if (error) return { refused: { fieldErrors: [{ field: 'seed', message: error }] } };
    // The same rule for Preview and Generate: a count the field cannot read, or below 1, is
    // refused at the field (a preview never quietly shows 1 book instead).
    const n = Number(count.value);
    if (count.value.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_COUNT) {
      return { refused: { fieldErrors: [{ field: 'count', message: `must be a whole number from 1 to ${formatNumber(MAX_COUNT)}` }] } };
    }
    const body = { count: n };
    if (s !== undefined) body.seed = s;
    return body;
  };

  // The preview on screen: the seed it used, and whether the seed field was empty (random) so
  // that the preview filled it in. "Generate books" sends the seed field, so after a preview it
  // inserts the previewed books; a changed seed is said under the preview.
  let previewed = null;
  const previewNote = h('p', { class: 'preview-note' });
  function describePreview() {
    if (!previewed) return;
    // Seeds compared as numbers, as the API reads them: `0005` is seed 5.
    const typed = readSeed(seed);
    if (previewed.inserted) {
      previewNote.textContent = `These books were added by the run with seed ${previewed.seed}.`;
    } else if (typed.error) {
      previewNote.textContent = `The seed field does not hold a seed (a whole number from 0 to ${formatNumber(MAX_SEED)}): “Generate books” will refuse it.`;
    } else if (typed.seed !== undefined && String(typed.seed) === String(previewed.seed)) {
      const n = Number(count.value);
      const part = n > previewed.count ? `, and ${formatNumber(n - previewed.count)} more after them`
        : n > 0 && n < previewed.count ? ` (the first ${formatNumber(n)} of them)` : '';
      previewNote.textContent = `“Generate books” uses seed ${previewed.seed} too, so it adds these books${part}.`;
    } else {
      previewNote.textContent = `The seed is no longer ${previewed.seed}: “Generate books” will add other books than these. Preview again to see them.`;
    }
  }
  seed.addEventListener('input', describePreview);
  count.addEventListener('input', describePreview);

  previewButton.addEventListener('click', () => busy(previewButton, async () => {
    replace(message);
    showFieldErrors(form, []);
    const { count: n, seed: s, refused } = values();
    if (refused) {
      replace(message, errorBox(refused, 'No preview'));
      showFieldErrors(form, refused.fieldErrors);
      return;
    }
    replace(preview, state('loading', 'Generating a preview…'));
    previewed = null;
    try {
      const result = await request('GET', '/api/generator/preview', { query: { count: Math.min(n, 100), seed: s } });
      const items = result.data.items || [];
      const used = result.data.seed;
      if (used !== undefined && used !== null) {
        const filled = s === undefined;
        if (filled) seed.value = String(used);
        previewed = { seed: used, count: items.length, filled, inserted: false };
      }
      replace(preview,
        h('h2', {}, `Preview (${items.length})`, previewed ? ` · seed ${previewed.seed}` : ''),
        previewed ? previewNote : null,
        items.length ? h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, ['Title', 'Author', 'Genre', 'Year', 'Pages', 'Price', 'Language', 'ISBN'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, items.map((b) => h('tr', {},
            h('td', { class: 'wrap' }, b.title), h('td', { class: 'wrap' }, b.author), h('td', { class: 'wrap' }, b.genre),
            h('td', { class: 'num' }, b.published_year), h('td', { class: 'num' }, b.pages),
            h('td', { class: 'num' }, formatPrice(b.price_cents)), h('td', {}, b.language), h('td', {}, b.isbn)))))) : state('empty', 'The preview is empty.'));
      describePreview();
    } catch (error) {
      replace(preview);
      replace(message, errorBox(error, 'No preview'));
      showFieldErrors(form, error.fieldErrors);
    }
  }));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(runButton, async () => {
      showFieldErrors(form, []);
      const body = values();
      if (body.refused) {
        replace(message, errorBox(body.refused, 'Nothing was generated'));
        showFieldErrors(form, body.refused.fieldErrors);
        return;
      }
      replace(message, state('loading', 'Generating… large runs take a few seconds.'));
      try {
        const result = await request('POST', '/api/generator/runs', { body });
        const run = result.data;
        const fromPreview = previewed && !previewed.inserted && String(run.seed) === String(previewed.seed);
        let after = '';
        if (fromPreview) {
          previewed.inserted = true;
          describePreview();
          // A seed the preview drew is not the user's: the next run draws a new one again.
          if (previewed.filled) {
            seed.value = '';
            after = ' The seed field is empty again, so the next run draws a new seed.';
          }
        } else if (previewed) {
          // Not the previewed books: the old preview would mislead.
          previewed = null;
          replace(preview);
        }
        replace(message, h('p', { class: 'state success', role: 'status' },
          `Added ${formatNumber(run.inserted)} books in ${formatNumber(run.elapsed_ms)} ms (seed ${run.seed})${fromPreview ? ', the books of the preview' : ''}.${after}`));
        toast(`Generated ${formatNumber(run.inserted)} books.`);
        loadHistory();
      } catch (error) {
        if (error.status === 429) error.message = quotaInWords(error.message);
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
