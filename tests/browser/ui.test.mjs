// The web UI in a real browser: Debian's chromium driven by playwright-core, against the app at
// BASE_URL (the app under `spin up`, started by run-on-spin.sh). The flows run in order in
// one browser context, as one user would: register, sign in, create, edit, conflict, delete,
// generate, every report, CSV download, account and sessions, the profile, a new password,
// leaving, reload, sign out, API docs. Then one test per defect the UI audit found (each in a
// browser context of its own, as the same user): see "after the UI audit" near the end, and
// "after the re-audit" (drafts onto newer versions, drafts across accounts, the generator seed),
// and "after the new-user audit" (the e-mail after a session ended, price decimals, generator
// labels, summary figures, report controls, focus after a search).
// Every page is screenshotted into artifacts/ (kept by CI). Any uncaught script error, any
// Content-Security-Policy violation and any failed load of a non-API resource fails the test
// it happens in.
//
//   BASE_URL=http://127.0.0.1:3000 npm test

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
if (!BASE_URL) throw new Error('set BASE_URL to the running app, e.g. BASE_URL=http://127.0.0.1:3000');
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const stamp = `${Date.now()}-${process.pid}`;
const user = { email: `ui-${stamp}@example.test`, password: 'correct horse battery', name: 'UI Tester' };
const bookTitle = `Browser Book ${stamp}`;
// A valid ISBN-13 unique to this run (check digit computed).
const isbn = (() => {
  const base = `979${String(Date.now() % 1e9).padStart(9, '0')}`;
  const sum = [...base].reduce((s, d, i) => s + Number(d) * (i % 2 ? 3 : 1), 0);
  return base + ((10 - (sum % 10)) % 10);
})();

let browser;
let context;
let page;
let problems = [];

function watch(p) {
  p.on('pageerror', (error) => problems.push(`uncaught error: ${error.message}`));
  p.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(text)) problems.push(`CSP: ${text}`);
  });
  p.on('response', (response) => {
    const url = new URL(response.url());
    if (url.origin === new URL(BASE_URL).origin && !url.pathname.startsWith('/api/') && response.status() >= 400) {
      problems.push(`${response.status()} for ${url.pathname}`);
    }
  });
  p.on('requestfailed', (request) => {
    const url = new URL(request.url());
    // ERR_ABORTED is a load the page itself cancelled (a navigation or reload), not a failure.
    if (!url.pathname.startsWith('/api/') && !url.protocol.startsWith('blob') && request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`failed: ${url.href} ${request.failure()?.errorText}`);
  });
}

function assertClean() {
  const found = problems;
  problems = [];
  assert.deepEqual(found, [], 'the page logged script errors, CSP violations or failed asset loads');
}

async function shot(name, p = page) {
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Signs in over the API directly (a second session, as another device would). */
async function apiToken() {
  const response = await fetch(`${BASE_URL}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: user.email, password: user.password }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).access_token;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  watch(page);
});

after(async () => {
  await browser?.close();
});

describe('static pages', () => {
  test('the app shell is served with a strict CSP and the security headers', async () => {
    const response = await fetch(`${BASE_URL}/books`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/html/);
    const csp = response.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    const etag = response.headers.get('etag');
    assert.ok(etag, 'an ETag');
    const again = await fetch(`${BASE_URL}/books`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const html = await response.text();
    const script = html.match(/src="(\/assets\/app-[0-9a-f]+\/main\.js)"/);
    assert.ok(script, 'the shell names a hashed script');
    const asset = await fetch(`${BASE_URL}${script[1]}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control'), /immutable/);
    assert.match(asset.headers.get('content-type'), /^text\/javascript/);
    const missing = await fetch(`${BASE_URL}/assets/app-0000000000/nope.js`);
    assert.equal(missing.status, 404);
    const api = await fetch(`${BASE_URL}/api/no-such-thing`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type'), /problem\+json/);
  });

  test('signed out, every app page leads to sign in, keyboard first', async () => {
    await page.goto(`${BASE_URL}/reports`);
    await page.waitForURL(/\/signin\?next=%2Freports/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // Focus starts in the e-mail field and Tab moves on to the password: usable from the keyboard.
    assert.equal(await page.evaluate(() => document.activeElement.name), 'email');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'password');
    await shot('signin');
    assertClean();
  });
});

describe('a user, start to finish', () => {
  test('register', async () => {
    await page.goto(`${BASE_URL}/register`);
    await page.getByLabel('Name (optional)').fill(user.name);
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    // A short password is stopped by the browser before any request.
    assert.equal(await page.getByLabel('Password').evaluate((el) => el.validity.tooShort), true);
    assert.match(page.url(), /\/register$/);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/signin\?registered=/);
    await shot('register-done');
    // The same e-mail again: the API's 409, in plain words.
    await page.getByRole('link', { name: 'Register' }).first().click();
    await page.getByLabel('E-mail').fill(user.email.toUpperCase());
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('An account with this e-mail already exists. Sign in instead.').waitFor();
    await shot('register-error');
    await page.getByRole('link', { name: 'Sign in' }).last().click();
    await page.waitForURL(/\/signin$/);
    await page.getByLabel('E-mail').fill(user.email);
    assertClean();
  });

  test('sign in', async () => {
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The e-mail or the password is not right.').waitFor();
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/books$/);
    await page.getByRole('heading', { name: 'Catalogue' }).waitFor();
    await page.locator('main .state:not(.loading), main table').first().waitFor();
    await shot('catalogue');
    // The access token is never in localStorage; nothing is in sessionStorage while the page lives.
    const storage = await page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage } }));
    assert.deepEqual(storage, { local: {}, session: {} });
    assertClean();
  });

  test('create a book', async () => {
    await page.getByRole('link', { name: 'New book' }).click();
    await page.getByRole('heading', { name: 'New book' }).waitFor();
    await page.getByLabel('Title').fill(bookTitle);
    await page.getByLabel('Author').fill('Ada Tester');
    await page.getByLabel('Genre').fill('Testing');
    await page.getByLabel('ISBN').fill('978-0-00-000000-1');
    await page.getByLabel('Year published').fill('2020');
    await page.getByLabel('Pages').fill('321');
    await page.getByLabel('Price').fill('12.50');
    await page.getByLabel('Language').fill('en');
    await page.getByLabel('Description').fill('Written by a browser.');
    await page.getByRole('button', { name: 'Create book' }).click();
    // An invalid ISBN is shown as the API words it, on the field.
    await page.locator('#f-isbn[aria-invalid="true"]').waitFor();
    await shot('book-invalid');
    await page.getByLabel('ISBN').fill(isbn);
    await page.getByRole('button', { name: 'Create book' }).click();
    await page.getByRole('heading', { name: bookTitle }).waitFor();
    assert.match(page.url(), /\/books\/[^/]+$/);
    await shot('book-created');
    assertClean();
  });

  test('edit it', async () => {
    await page.getByLabel('Price').fill('15.00');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.form-message .state.success').waitFor();
    // The heading, the tab's title and the version follow the saved book.
    await page.getByLabel('Title').fill(`${bookTitle} (edited)`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: `${bookTitle} (edited)` }).waitFor();
    assert.equal(await page.title(), `${bookTitle} (edited) · Folio`);
    assert.match(await page.locator('main .meta').innerText(), /^Version 3 /);
    await page.getByLabel('Title').fill(bookTitle);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: bookTitle, exact: true }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: bookTitle }).waitFor();
    assert.equal(await page.getByLabel('Price').inputValue(), '15.00');
    assertClean();
  });

  test('an edit on a stale version is compared three ways: only a field both changed is overwritten', async () => {
    const id = page.url().split('/').pop();
    // Someone else saves the book after this page read it.
    const token = await apiToken();
    const current = await fetch(`${BASE_URL}/api/books/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(current.status, 200);
    const body = await current.json();
    const theirs = {};
    for (const k of ['title', 'author', 'genre', 'isbn', 'published_year', 'pages', 'price_cents', 'language', 'description']) theirs[k] = body[k];
    // They change the author (which this page leaves alone) and the pages (which it changes too).
    theirs.author = 'Someone Else';
    theirs.pages = 350;
    const put = await fetch(`${BASE_URL}/api/books/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': current.headers.get('etag') },
      body: JSON.stringify(theirs),
    });
    assert.equal(put.status, 200, await put.clone().text());

    await page.getByLabel('Pages').fill('400');
    // The same ISBN typed with hyphens (the hint allows them) is not a difference.
    await page.getByLabel('ISBN').fill(`${isbn.slice(0, 3)}-${isbn.slice(3, 4)}-${isbn.slice(4, 8)}-${isbn.slice(8, 12)}-${isbn.slice(12)}`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    const conflict = page.locator('.conflict');
    await conflict.getByRole('heading', { name: 'Someone else changed this book' }).waitFor();
    const text = await conflict.innerText();
    assert.match(text, /Someone Else/);
    assert.match(text, /Ada Tester/);
    assert.deepEqual(await conflict.locator('tbody th').allInnerTexts(), ['Author', 'Pages'], 'only the fields that really differ');
    const kept = await conflict.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.lastElementChild.textContent));
    assert.deepEqual(kept, ['theirs', 'yours (both changed it)'], 'their author stays; the pages are the choice');
    assert.match(text, /You both changed Pages/);
    assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H2', 'focus on the explanation, not on Overwrite');
    assert.equal(await page.getByRole('button', { name: 'Save changes' }).isVisible(), false, 'the refused save is not offered again');
    await shot('book-conflict');
    await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
    await page.locator('.form-message .state.success').waitFor();
    const after = await (await fetch(`${BASE_URL}/api/books/${id}`, { headers: { authorization: `Bearer ${token}` } })).json();
    assert.equal(after.pages, 400, 'mine, where both changed it');
    assert.equal(after.author, 'Someone Else', 'theirs, where only they changed it');
    assert.equal(await page.getByLabel('Author').inputValue(), 'Someone Else');
    assert.equal(await page.getByRole('button', { name: 'Save changes' }).isVisible(), true);
    assertClean();
  });

  test('delete it, after confirming', async () => {
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await shot('book-delete-confirm');
    // Cancel first: nothing happens.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: bookTitle }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/books$/);
    await page.getByLabel('Search', { exact: true }).fill(bookTitle);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No books match these filters.').waitFor();
    assertClean();
  });

  test('generate books', async () => {
    await page.getByRole('link', { name: 'Generator' }).click();
    await page.getByRole('heading', { name: 'Generator' }).waitFor();
    await page.getByLabel('How many books').fill('60');
    await page.getByLabel('Seed').fill('4242');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('heading', { name: /^Preview \(60\) · seed 4242$/ }).waitFor();
    assert.equal(await page.locator('.preview tbody tr').count(), 60);
    await page.getByRole('button', { name: 'Generate books' }).click();
    await page.getByText(/^Added \d+ books in/).waitFor();
    await page.locator('section h2', { hasText: 'History' }).waitFor();
    assert.ok(await page.locator('section:has(h2:text("History")) tbody tr').count() >= 1);
    await shot('generator');
    await page.getByRole('link', { name: 'Catalogue' }).click();
    await page.locator('main table tbody tr').first().waitFor();
    await shot('catalogue-filled');
    // The genre filter suggests the catalogue's genres as stored (matching is exact).
    await page.waitForFunction(() => document.querySelectorAll('#genre-suggestions option').length > 0);
    assert.equal(await page.getByLabel('Genre').getAttribute('list'), 'genre-suggestions');
    // Keyset pagination: 60+ books at 20 a page; forward and back again.
    await page.getByText(/ · page 1$/).waitFor();
    const firstTitle = await page.locator('main tbody tr td a').first().innerText();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText(/ · page 2$/).waitFor();
    assert.notEqual(await page.locator('main tbody tr td a').first().innerText(), firstTitle);
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText(/ · page 1$/).waitFor();
    assert.equal(await page.locator('main tbody tr td a').first().innerText(), firstTitle);
    // The page number and "Previous" belong to the page shown, through Back, Forward and a
    // reload (the trail rides in the history entry).
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText(/ · page 2$/).waitFor();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.getByText(/ · page 3$/).waitFor();
    await page.goBack();
    await page.getByText(/ · page 2$/).waitFor();
    await page.goForward();
    await page.getByText(/ · page 3$/).waitFor();
    await page.reload();
    await page.getByText(/ · page 3$/).waitFor();
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText(/ · page 2$/).waitFor();
    await page.getByRole('button', { name: '← Previous' }).click();
    await page.getByText(/ · page 1$/).waitFor();
    assert.equal(await page.locator('main tbody tr td a').first().innerText(), firstTitle);
    // Sorting by title puts titles in order.
    await page.getByLabel('Sort').selectOption('title');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/sort=title/);
    await page.locator('main tbody tr').first().waitFor();
    const titles = await page.locator('main tbody tr td:first-child a').allInnerTexts();
    assert.deepEqual(titles, [...titles].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assertClean();
  });

  test('view each report, with charts', async () => {
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor();
    await page.locator('#report-summary dl.stats').waitFor();
    for (const name of ['genres', 'authors', 'years', 'prices']) {
      const section = page.locator(`#report-${name}`);
      await section.locator('canvas').waitFor();
      assert.equal(await section.locator('.state.error').count(), 0, `${name} shows an error`);
      // Chart.js drew something: the canvas has a size and non-blank pixels.
      const drawn = await section.locator('canvas').evaluate((canvas) => {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false;
      });
      assert.ok(drawn, `${name} chart is blank`);
    }
    // A report's control is applied by its button (choosing alone changes nothing).
    await page.locator('#report-years select').selectOption('year');
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/reports/years?bucket=year')),
      page.locator('#report-years').getByRole('button', { name: /^Apply/ }).click(),
    ]);
    await page.locator('#report-years canvas').waitFor();
    await page.waitForTimeout(400);
    await shot('reports');
    assertClean();
  });

  test('download a report as CSV', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#report-genres').getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'folio-genres.csv');
    const text = readFileSync(await download.path(), 'utf8');
    const [header, ...rows] = text.trim().split(/\r?\n/);
    assert.match(header, /genre/i);
    assert.ok(rows.length >= 1, text);
    assertClean();
  });

  test('account: sessions, sign out the others, and a reload stays signed in', async () => {
    await apiToken(); // one more session elsewhere
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Account' }).waitFor();
    await page.getByText(user.email).waitFor();
    await page.getByText('This session').waitFor();
    const before = await page.locator('main tbody tr').count();
    assert.ok(before >= 2, `expected other sessions, saw ${before}`);
    await shot('account');
    await page.getByRole('button', { name: 'Sign out all other sessions' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Sign them out' }).click();
    await page.getByText('Signed out all other sessions.').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('main tbody tr').length === 1);

    await page.reload();
    await page.getByRole('heading', { name: 'Account' }).waitFor();
    assert.match(page.url(), /\/account$/);
    await page.getByText('This session').waitFor();
    // A second tab does not inherit this tab's session.
    const other = await context.newPage();
    watch(other);
    await other.goto(`${BASE_URL}/books`);
    await other.waitForURL(/\/signin/);
    await other.close();
    assertClean();
  });

  test('account: the profile, every field error at once, and a new password', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    const elsewhere = await apiToken(); // another session, which the new password must end
    await page.getByLabel('Title').fill('Dr');
    await page.getByLabel('First name').fill('Ui');
    await page.getByLabel('Last name').fill('Tester');
    await page.getByLabel('Mobile number').fill('12345');
    await page.getByLabel('Address').fill('1 Test Street\nFlat 2');
    await page.getByLabel('City').fill('London');
    await page.getByLabel('Postal code').fill('SW1A 1AA');
    await page.getByLabel('Country').fill('XX');
    await page.getByRole('button', { name: 'Save profile' }).click();
    // Both mistakes come back in one answer, each shown at its own field.
    await page.locator('[name="profile.mobile_number"][aria-invalid="true"]').waitFor();
    await page.locator('[name="profile.address.country"][aria-invalid="true"]').waitFor();
    await page.getByText('must be an international number in E.164 form, e.g. +447700900123', { exact: true }).waitFor();
    await page.getByText('Mobile number: must be an international number', { exact: false }).waitFor();
    await shot('account-profile-errors');
    await page.getByLabel('Mobile number').fill('+44 7700 900123');
    await page.getByLabel('Country').fill('gb');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await page.waitForFunction(() => document.querySelector('[name="profile.mobile_number"]')?.value);
    assert.equal(await page.getByLabel('Mobile number').inputValue(), '+447700900123', 'stored in E.164');
    assert.equal(await page.getByLabel('Country').inputValue(), 'GB');
    assert.equal(await page.getByLabel('Address').inputValue(), '1 Test Street\nFlat 2');
    assert.equal(await page.getByLabel('Title').inputValue(), 'Dr');

    // A wrong current password is said at its field; the session is not dropped for it.
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('a new passphrase for the ui');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The current password is wrong.').waitFor();
    assert.match(page.url(), /\/account$/, 'still signed in');
    await page.getByLabel('Current password').fill(user.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed. Your other sessions were signed out.').waitFor();
    user.password = 'a new passphrase for the ui';
    const other = await fetch(`${BASE_URL}/api/auth/me`, { headers: { authorization: `Bearer ${elsewhere}` } });
    assert.equal(other.status, 401, 'the other session ended at once');
    await page.waitForFunction(() => document.querySelectorAll('main tbody tr').length === 1);
    await shot('account-profile');
    assertClean();
  });

  test('leaving: the last admin is refused, another person deletes their account', async (t) => {
    if (await page.getByRole('link', { name: 'Users' }).count()) {
      await page.getByLabel('Your password').fill(user.password);
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete it' }).click();
      await page.getByText(/last enabled admin/).waitFor();
      assert.match(page.url(), /\/account$/);
    } else {
      t.diagnostic('this account is not an admin: the last-admin refusal is left to the API tests');
    }
    // A second person, in a browser of their own.
    const leaver = { email: `ui-leaver-${stamp}@example.test`, password: 'leaving soon, thanks' };
    const created = await fetch(`${BASE_URL}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(leaver),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const own = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await own.newPage();
    watch(p);
    await p.goto(`${BASE_URL}/signin`);
    await p.getByLabel('E-mail').fill(leaver.email);
    await p.getByLabel('Password').fill(leaver.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(/\/books$/);
    await p.getByRole('link', { name: 'Account' }).click();
    await p.getByRole('heading', { name: 'Leave Folio' }).waitFor();
    // An empty password is said at its field, before the dialog and before any request.
    const deletes = [];
    p.on('request', (r) => { if (r.method() === 'DELETE') deletes.push(r.url()); });
    await p.getByRole('button', { name: 'Delete my account' }).click();
    await p.getByText('Enter your password to delete your account.').waitFor();
    assert.equal(await p.getByLabel('Your password').getAttribute('aria-invalid'), 'true');
    assert.equal(await p.getByRole('dialog').count(), 0, 'no confirmation for an empty password');
    assert.deepEqual(deletes, []);
    await p.getByLabel('Your password').fill(leaver.password);
    // Cancelling the confirmation deletes nothing.
    await p.getByRole('button', { name: 'Delete my account' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.match(p.url(), /\/account$/);
    await p.getByRole('button', { name: 'Delete my account' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Delete it' }).click();
    await p.waitForURL(/\/signin\?deleted=1$/);
    await p.getByText('Your account was deleted and you were signed out everywhere.').waitFor();
    await shot('account-deleted', p);
    // Signing in with it answers as for any address that was never registered.
    await p.getByLabel('E-mail').fill(leaver.email);
    await p.getByLabel('Password').fill(leaver.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByText('The e-mail or the password is not right.').waitFor();
    await own.close();
    assertClean();
  });

  test('users page, for admins only', async (t) => {
    const link = page.getByRole('link', { name: 'Users' });
    if (!(await link.count())) {
      // Only the first account (or one in admin_emails) is an admin; a shared test app may
      // already have one. The route must then refuse the page rather than show it.
      await page.goto(`${BASE_URL}/users`);
      await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
      t.diagnostic('this account is not an admin: checked that /users is refused');
      assertClean();
      return;
    }
    // Another account to manage.
    const other = `ui-other-${stamp}@example.test`;
    const created = await fetch(`${BASE_URL}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: other, password: 'another long password' }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    await link.click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByText(user.email).waitFor();
    const select = page.getByLabel(`Role of ${other}`);
    await select.selectOption('reader');
    await page.getByRole('button', { name: `Change role for ${other}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Change role' }).click();
    await page.getByText(`${other} is now reader.`).waitFor();
    await shot('users');
    assertClean();
  });

  test('a phone-sized screen gets the compact menu', async () => {
    const phone = await context.newPage();
    watch(phone);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${BASE_URL}/signin`);
    const toggle = phone.getByRole('button', { name: 'Menu' });
    await toggle.waitFor();
    assert.equal(await phone.locator('#nav').isVisible(), false);
    await toggle.click();
    assert.equal(await phone.locator('#nav').isVisible(), true);
    await shot('phone-signin', phone);
    await phone.close();
    assertClean();
  });

  test('sign out', async () => {
    // The session ends on the server, not only in the page: the refresh token the page held is
    // revoked (RFC 7009), whatever its access token's age, and refreshes no more.
    const revoked = page.waitForResponse((r) => r.url().endsWith('/api/auth/revoke'));
    await page.getByRole('button', { name: 'Sign out' }).first().click();
    const response = await revoked;
    assert.equal(response.status(), 200);
    const { token } = JSON.parse(response.request().postData());
    const refreshed = await fetch(`${BASE_URL}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
    });
    assert.equal(refreshed.status, 400, 'the revoked refresh token is refused');
    await page.waitForURL(/\/signin$/);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto(`${BASE_URL}/books`);
    await page.waitForURL(/\/signin\?next=/);
    assertClean();
  });
});

describe('API docs', () => {
  test('/docs loads offline under the CSP and shows the API or a plain error', async () => {
    await page.goto(`${BASE_URL}/docs`);
    const ui = page.locator('.swagger-ui .info');
    const error = page.locator('#docs-status.error');
    await Promise.race([ui.waitFor(), error.waitFor()]);
    if (await error.count()) {
      assert.match(await error.innerText(), /could not be loaded/);
    } else {
      await page.locator('.swagger-ui .opblock').first().waitFor();
      // Expanding an operation renders its parameters and schemas: still nothing the CSP refuses.
      await page.locator('.swagger-ui .opblock-summary-control').first().click();
      await page.locator('.swagger-ui .opblock-body').first().waitFor();
    }
    await shot('docs');
    // The missing document is an API 404, which is allowed; nothing else may fail.
    assertClean();
  });

  test('/docs signs in with Authorize (the password flow) and Try it out carries the token', async () => {
    const p = await context.newPage();
    watch(p);
    const account = await register('docs-authorize');
    await p.goto(`${BASE_URL}/docs`);
    await p.locator('.swagger-ui .opblock').first().waitFor();
    await p.locator('button.authorize').first().click();
    const dialog = p.locator('.modal-ux');
    await dialog.locator('input#oauth_username').fill(account.email);
    await dialog.locator('input#oauth_password').fill(account.password);
    const [granted] = await Promise.all([
      p.waitForResponse((r) => r.url().endsWith('/api/auth/token')),
      dialog.locator('button.authorize').last().click(),
    ]);
    assert.equal(granted.status(), 200, await granted.text());
    await dialog.locator('.close-modal').click();
    const me = p.locator('#operations-auth-me');
    await me.locator('.opblock-summary').click();
    await me.locator('button.try-out__btn').click();
    await me.locator('button.execute').click();
    const status = me.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    assert.equal((await status.textContent()).trim(), '200');
    assert.ok((await me.locator('.live-responses-table').first().innerText()).includes(account.email), 'the account answered');
    await shot('docs-authorized', p);
    assertClean();
    await p.close();
  });

  test('a signed-in tab that shows /docs leaves no token to copy, and the app resumes on Back', async () => {
    const p = await context.newPage();
    watch(p);
    await p.goto(`${BASE_URL}/signin`);
    await p.getByLabel('E-mail').fill(user.email);
    await p.getByLabel('Password').fill(user.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(/\/books$/);
    await p.getByRole('link', { name: 'API docs' }).click();
    await p.waitForURL(/\/docs$/);
    assert.deepEqual(await p.evaluate(() => ({ ...sessionStorage })), {}, 'a duplicated tab would copy it');
    await p.goBack();
    await p.getByRole('heading', { name: 'Catalogue' }).waitFor();
    assert.deepEqual(await p.evaluate(() => ({ ...sessionStorage })), {});
    await p.getByRole('link', { name: 'Account' }).waitFor();
    // A next= that a URL parser reads as another origin goes to the catalogue instead.
    await p.getByRole('button', { name: 'Sign out' }).first().click();
    await p.waitForURL(/\/signin$/);
    await p.goto(`${BASE_URL}/signin?next=${encodeURIComponent('/\\evil.example')}`);
    await p.getByLabel('E-mail').fill(user.email);
    await p.getByLabel('Password').fill(user.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(/\/books$/);
    assertClean();
    await p.close();
  });
});

// ---------------------------------------------------------------------------------------------
// Defects found by the UI audit, each with the test that shows it fixed. They run after the
// flows above, each in a browser context of its own, as `user` (an admin on a fresh app; the
// admin-only checks are skipped otherwise).

/** Calls the API directly, as another device would. */
async function api(method, path, { token, body, form, headers: extra = {} } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, extra);
  if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(`${BASE_URL}${path}`, {
    method,
    headers,
    body: form ? new URLSearchParams(form).toString() : body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, data, headers: response.headers };
}

async function tokenOf(email, password) {
  const { status, data } = await api('POST', '/api/auth/token', { form: { grant_type: 'password', username: email, password } });
  assert.equal(status, 200, JSON.stringify(data));
  return data.access_token;
}

async function register(prefix, password = 'a long enough password') {
  const email = `${prefix}-${stamp}@example.test`;
  const { status, data } = await api('POST', '/api/auth/register', { body: { email, password } });
  assert.equal(status, 201, JSON.stringify(data));
  return { email, password, id: data.id };
}

async function isAdmin(token) {
  const { data } = await api('GET', '/api/auth/me', { token });
  return String(data?.claims?.scope || '').split(' ').includes('admin:users');
}

// Valid ISBN-13s, unique to this run (prefix 978, unlike `isbn` above).
let isbnSeq = Date.now() % 1e9;
function nextIsbn() {
  const base = `978${String(isbnSeq++ % 1e9).padStart(9, '0')}`;
  const sum = [...base].reduce((s, d, i) => s + Number(d) * (i % 2 ? 3 : 1), 0);
  return base + ((10 - (sum % 10)) % 10);
}

async function createBook(token, fields = {}) {
  const body = {
    title: `Audit Book ${stamp}`, author: 'Audit Author', genre: 'Testing', isbn: nextIsbn(), published_year: 2021,
    pages: 100, price_cents: 999, language: 'en', description: 'Made by the browser tests.', ...fields,
  };
  const { status, data } = await api('POST', '/api/books', { token, body });
  assert.equal(status, 201, JSON.stringify(data));
  return data;
}

/** A browser context of its own (its own tab storage), watched like `page`. */
async function freshPage(options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', ...options });
  const p = await ctx.newPage();
  watch(p);
  return { ctx, p };
}

async function signInAs(p, email, password, { next = '' } = {}) {
  await p.goto(`${BASE_URL}/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`);
  await p.getByLabel('E-mail').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

describe('after the UI audit', () => {
  test('a disabled account is told so at sign-in; a wrong password still gets the generic words', async (t) => {
    const admin = await apiToken();
    if (!(await isAdmin(admin))) return t.skip('needs an admin to disable an account');
    const eve = await register('ui-eve');
    const { status } = await api('PATCH', `/api/auth/users/${eve.id}`, { token: admin, body: { disabled: true } });
    assert.equal(status, 200);
    const { ctx, p } = await freshPage();
    await p.goto(`${BASE_URL}/signin`);
    await p.getByLabel('E-mail').fill(eve.email);
    await p.getByLabel('Password').fill('not her password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByText('The e-mail or the password is not right.').waitFor();
    await p.getByLabel('Password').fill(eve.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByText('This account is disabled.', { exact: true }).waitFor();
    assert.equal(await p.getByText('The e-mail or the password is not right.').count(), 0);
    await shot('audit-disabled-signin', p);
    await ctx.close();
    assertClean();
  });

  test('a session ended elsewhere: sign-in says so, and the unsaved edit comes back after it', async () => {
    const token = await apiToken();
    const book = await createBook(token, { title: `Draft Book ${stamp}` });
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: `/books/${book.id}` });
    await p.getByRole('heading', { name: book.title }).waitFor();
    await p.getByLabel('Description').fill('Typed, not saved yet.');
    // Another device signs out every other session: this tab's among them.
    const { data } = await api('GET', '/api/auth/sessions', { token });
    for (const s of data.items) if (!s.current) await api('DELETE', `/api/auth/sessions/${s.id}`, { token });
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.waitForURL(/\/signin\?next=%2Fbooks%2F/);
    await p.getByText('Your session has ended. Please sign in again.').waitFor();
    await p.getByText('What you had typed is kept and will be filled in again after you sign in.').waitFor();
    await shot('audit-session-ended', p);
    await p.getByLabel('E-mail').fill(user.email);
    await p.getByLabel('Password').fill(user.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(new RegExp(`/books/${book.id}$`));
    await p.getByText(/What you typed before your session ended has been filled in again/).waitFor();
    assert.equal(await p.getByLabel('Description').inputValue(), 'Typed, not saved yet.');
    assert.deepEqual(await p.evaluate(() => ({ ...sessionStorage })), {}, 'the draft is consumed');
    assert.equal(await p.locator('.conflict').isVisible(), false, 'the same version: no comparison');
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.locator('.form-message .state.success').waitFor();
    const stored = await api('GET', `/api/books/${book.id}`, { token: await apiToken() });
    assert.equal(stored.data.description, 'Typed, not saved yet.');
    await ctx.close();
    assertClean();
  });

  test('a role change needs its button and a confirmation; an arrow key alone sends nothing', async (t) => {
    const admin = await apiToken();
    if (!(await isAdmin(admin))) return t.skip('needs an admin');
    const other = await register('ui-role');
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/users' });
    const select = p.getByLabel(`Role of ${other.email}`);
    await select.waitFor();
    const patches = [];
    p.on('request', (r) => { if (r.method() === 'PATCH') patches.push(r.url()); });
    const before = await select.inputValue();
    await select.focus();
    await p.keyboard.press(before === 'reader' ? 'ArrowDown' : 'ArrowUp');
    const chosen = await select.inputValue();
    assert.notEqual(chosen, before, 'the arrow key chose another role');
    await p.waitForTimeout(500);
    assert.deepEqual(patches, [], 'choosing is not applying');
    const apply = p.getByRole('button', { name: `Change role for ${other.email}` });
    assert.equal(await apply.isEnabled(), true);
    // Cancel: nothing changes, the choice is undone, focus is back on the select.
    await apply.click();
    const dialog = p.getByRole('dialog');
    await dialog.getByText(/signed out everywhere/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await select.inputValue(), before);
    assert.equal(await p.evaluate(() => document.activeElement.getAttribute('aria-label')), `Role of ${other.email}`);
    assert.deepEqual(patches, []);
    // Confirmed: one PATCH, and focus stays on the select.
    await select.selectOption(chosen);
    await apply.click();
    await p.getByRole('dialog').getByRole('button', { name: 'Change role' }).click();
    await p.getByText(`${other.email} is now ${chosen}.`).waitFor();
    assert.equal(patches.length, 1);
    assert.equal(await p.evaluate(() => document.activeElement.getAttribute('aria-label')), `Role of ${other.email}`);
    assert.equal(await apply.isDisabled(), true, 'nothing left to apply');
    await ctx.close();
    assertClean();
  });

  test('the generator preview shows its seed, and Generate adds exactly the previewed books', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/generator' });
    await p.getByLabel('How many books').fill('5');
    await p.getByLabel('Seed').fill('');
    await p.getByRole('button', { name: 'Preview' }).click();
    const heading = p.getByRole('heading', { name: /^Preview \(5\) · seed \d+$/ });
    await heading.waitFor();
    const seed = (await heading.innerText()).match(/seed (\d+)$/)[1];
    assert.equal(await p.getByLabel('Seed').inputValue(), seed, 'the seed field holds the seed used');
    const previewed = await p.locator('.preview tbody tr td:last-child').allInnerTexts();
    await p.getByRole('button', { name: 'Generate books' }).click();
    await p.getByText(new RegExp(`^Added 5 books in .* \\(seed ${seed}\\), the books of the preview\\.`)).waitFor();
    await p.getByText(`These books were added by the run with seed ${seed}.`).waitFor();
    assert.equal(await p.getByLabel('Seed').inputValue(), '', 'the next run draws a new seed');
    const { data } = await api('GET', '/api/books?sort=-created_at&limit=5', { token: await apiToken() });
    assert.deepEqual(data.items.map((b) => b.isbn).sort(), [...previewed].sort());
    await shot('audit-generator-seed', p);
    await ctx.close();
    assertClean();
  });

  test('every bar of the genre and author charts has its label; report controls survive a reload', async () => {
    // Enough authors that a chart of the top 50 cannot label them all at a fixed height.
    const token = await apiToken();
    const { data: top } = await api('GET', '/api/reports/authors?limit=50', { token });
    if ((top.items || []).length < 30) {
      const run = await api('POST', '/api/generator/runs', { token, body: { count: 300, seed: 7 } });
      assert.equal(run.status, 201, JSON.stringify(run.data));
    }
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/reports' });
    await p.locator('#report-authors canvas').waitFor();
    await p.locator('#report-authors select').selectOption('50');
    await p.locator('#report-authors').getByRole('button', { name: /^Apply/ }).click();
    const labelled = (name) => p.waitForFunction((id) => {
      const canvas = document.querySelector(`#report-${id} canvas`);
      const chart = canvas && window.Chart && window.Chart.getChart(canvas);
      if (!chart || !chart.data.labels.length || !chart.scales.y.ticks.length) return null;
      return { labels: chart.data.labels.length, ticks: chart.scales.y.ticks.length };
    }, name).then((handle) => handle.jsonValue());
    await p.waitForFunction(() => document.querySelectorAll('#report-authors tbody tr').length > 10);
    const authors = await labelled('authors');
    assert.ok(authors.labels >= 30, `a meaningful number of authors (${authors.labels})`);
    assert.equal(authors.ticks, authors.labels, 'an author bar without a label');
    const genres = await labelled('genres');
    assert.equal(genres.ticks, genres.labels, 'a genre bar without a label');
    assert.match(p.url(), /[?&]limit=50/);
    await shot('audit-reports-labels', p);
    await p.reload();
    await p.locator('#report-authors canvas').waitFor();
    assert.equal(await p.locator('#report-authors select').inputValue(), '50');
    await ctx.close();
    assertClean();
  });

  test('a field error is announced with its field (aria-describedby), after the hint', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/books/new' });
    await p.getByLabel('Title').fill('');
    await p.getByLabel('ISBN').fill('123');
    await p.getByRole('button', { name: 'Create book' }).click();
    await p.locator('#f-title[aria-invalid="true"]').waitFor();
    assert.equal(await p.locator('#f-title').getAttribute('aria-describedby'), 'f-title-error');
    assert.equal(await p.locator('#f-isbn').getAttribute('aria-describedby'), 'f-isbn-hint f-isbn-error');
    assert.ok((await p.locator('#f-title-error').innerText()).length > 0);
    assert.ok((await p.locator('#f-isbn-error').innerText()).length > 0);
    // Fixed fields lose the error again and keep their hint.
    await p.getByLabel('Title').fill('A title');
    await p.getByLabel('ISBN').fill(nextIsbn());
    await p.getByRole('button', { name: 'Create book' }).click();
    await p.waitForFunction(() => document.querySelector('#f-title').getAttribute('aria-invalid') === null);
    assert.equal(await p.locator('#f-title').getAttribute('aria-describedby'), null);
    assert.equal(await p.locator('#f-isbn').getAttribute('aria-describedby'), 'f-isbn-hint');
    await ctx.close();
    assertClean();
  });

  test('danger buttons keep 4.5:1 contrast in dark and light mode', async () => {
    for (const colorScheme of ['dark', 'light']) {
      const { ctx, p } = await freshPage({ colorScheme });
      await signInAs(p, user.email, user.password, { next: '/account' });
      const button = p.getByRole('button', { name: 'Delete my account' });
      await button.waitFor();
      const ratio = await button.evaluate((el) => {
        const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
        const style = getComputedStyle(el);
        const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      });
      assert.ok(ratio >= 4.5, `${colorScheme}: danger button contrast ${ratio.toFixed(2)}:1`);
      await ctx.close();
    }
    assertClean();
  });

  test('deleting the last book of a later page offers the way back; "← Catalogue" keeps the filters', async () => {
    const token = await apiToken();
    const author = `Paged Author ${stamp}`;
    for (let i = 0; i < 11; i += 1) await createBook(token, { author, title: `Paged ${String(i).padStart(2, '0')} ${stamp}` });
    const { ctx, p } = await freshPage();
    const list = `/books?author=${encodeURIComponent(author)}&sort=title&limit=10`;
    await signInAs(p, user.email, user.password, { next: list });
    await p.getByText('11 books · page 1').waitFor();
    await p.getByRole('button', { name: 'Next →' }).click();
    await p.getByText('11 books · page 2').waitFor();
    await p.getByRole('button', { name: `Delete Paged 10 ${stamp}` }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await p.getByText(/^No more books on this page\. 10 books on earlier pages\.$/).waitFor();
    await shot('audit-empty-later-page', p);
    await p.getByRole('button', { name: '← Previous' }).click();
    await p.getByText('10 books · page 1').waitFor();
    assert.equal(await p.locator('main tbody tr').count(), 10);
    // A book and back: the same filtered page.
    await p.getByRole('link', { name: `Paged 00 ${stamp}`, exact: true }).click();
    await p.getByRole('heading', { name: `Paged 00 ${stamp}` }).waitFor();
    await p.getByRole('link', { name: '← Catalogue' }).click();
    await p.getByText('10 books · page 1').waitFor();
    const params = (url) => Object.fromEntries(new URL(url, BASE_URL).searchParams);
    assert.deepEqual(params(p.url()), params(list));
    await ctx.close();
    assertClean();
  });

  test('a refused filter is said at its field, by its label, once', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/books?q=*' });
    await p.locator('[name="q"][aria-invalid="true"]').waitFor();
    await p.getByText('Search: must contain at least one word', { exact: false }).first().waitFor();
    assert.equal(await p.getByText(/^Q: /).count(), 0);
    await p.goto(`${BASE_URL}/books?year_min=2000&year_max=1990`);
    await p.locator('[name="year_min"][aria-invalid="true"]').waitFor();
    assert.match(await p.locator('#f-year_min-error').innerText(), /“To year”/);
    await p.goto(`${BASE_URL}/reports?year_min=2000&year_max=1990`);
    await p.locator('[name="year_min"][aria-invalid="true"]').waitFor();
    await p.waitForFunction(() => document.querySelectorAll('.report .state.loading').length === 0);
    assert.equal(await p.locator('main .state.error').count(), 1, 'the refusal is said once, not once per report');
    assert.equal(await p.getByText('Change the filters above to see this report.').count(), 5);
    await shot('audit-filter-errors', p);
    await ctx.close();
    assertClean();
  });

  test('429 and 503 are said in sentences, with a wait in words', async () => {
    const victim = await register('ui-throttled');
    const { ctx, p } = await freshPage();
    await p.goto(`${BASE_URL}/signin`);
    await p.getByLabel('E-mail').fill(victim.email);
    const tooMany = p.getByText(/^Too many failed sign-in attempts for this account\. Try again in (about )?\d+ minutes\.$/);
    for (let i = 0; i < 8 && !(await tooMany.count()); i += 1) {
      await p.getByLabel('Password').fill(`wrong password ${i}`);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.locator('.form-message .state.error').waitFor();
      await p.waitForFunction(() => !document.querySelector('button[aria-busy="true"]'));
    }
    await tooMany.waitFor();
    await shot('audit-signin-429', p);

    // The generator's hourly quota and a busy server (answers made up in the browser: neither
    // can be caused on demand here).
    await signInAs(p, user.email, user.password, { next: '/generator' });
    await p.route('**/api/generator/runs', (route) => (route.request().method() === 'POST'
      ? route.fulfill({
        status: 429,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '3598' },
        body: JSON.stringify({ type: '/docs/problems#too-many-requests', title: 'Too Many Requests', status: 429, detail: 'this account has generated 2000 books in the last hour and generator_books_per_hour is 2000' }),
      })
      : route.continue()));
    await p.getByLabel('How many books').fill('5');
    await p.getByRole('button', { name: 'Generate books' }).click();
    await p.getByText('Nothing was generated: this account has generated 2,000 books in the last hour, and the limit is 2,000 books an hour. Try again in about 1 hour.').waitFor();
    const book = await createBook(await apiToken(), { title: `Busy Book ${stamp}` });
    await p.route(`**/api/books/${book.id}`, (route) => (route.request().method() === 'PUT'
      ? route.fulfill({
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '2' },
        body: JSON.stringify({ type: '/docs/problems#unavailable', title: 'Service Unavailable', status: 503, detail: 'the database is busy' }),
      })
      : route.continue()));
    await p.goto(`${BASE_URL}/books/${book.id}`);
    await p.getByRole('heading', { name: book.title }).waitFor();
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.getByText('Not saved: The server is busy. Try again in 2 seconds.').waitFor();
    await ctx.close();
    assertClean();
  });

  test('a long unbroken title wraps instead of widening the page', async () => {
    const token = await apiToken();
    const title = 'Supercalifragilistic'.repeat(15);
    const author = `Long Author ${stamp}`;
    const book = await createBook(token, { title, author });
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: `/books?author=${encodeURIComponent(author)}` });
    await p.locator('main tbody tr').first().waitFor();
    const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(await overflow(), 0, 'the list page scrolls sideways');
    await p.goto(`${BASE_URL}/books/${book.id}`);
    await p.locator('main .meta').waitFor();
    assert.equal(await overflow(), 0, 'the book page scrolls sideways');
    assert.ok(await p.evaluate(() => document.querySelector('main h1').scrollWidth <= document.querySelector('main').clientWidth));
    await shot('audit-long-title', p);
    await ctx.close();
    assertClean();
  });
});

// ---------------------------------------------------------------------------------------------
// Defects found by the re-audit of the drafts and the generator seed, each with its test.

/** Ends every session of the account except the one `token` belongs to (another device). */
async function endOtherSessions(token) {
  const { data } = await api('GET', '/api/auth/sessions', { token });
  for (const s of data.items) if (!s.current) await api('DELETE', `/api/auth/sessions/${s.id}`, { token });
}

/** On a sign-in page already shown: signs in, and waits to leave it. */
async function signInHere(p, email, password) {
  await p.getByLabel('E-mail').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

const KEPT = 'What you had typed is kept and will be filled in again after you sign in.';

describe('after the re-audit', () => {
  test('a draft typed against an older version of the book shows the comparison, never overwrites unseen', async () => {
    const token = await apiToken();
    const book = await createBook(token, { title: `Stale Draft ${stamp}`, description: 'original' });
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: `/books/${book.id}` });
    await p.getByRole('heading', { name: book.title }).waitFor();
    await p.getByLabel('Description').fill('A: my careful rewrite');
    // This tab's session ends (another device), and a colleague saves the book meanwhile.
    const other = await apiToken();
    await endOtherSessions(other);
    const current = await api('GET', `/api/books/${book.id}`, { token: other });
    const theirs = { ...current.data, title: `${book.title} (fixed by B)`, description: 'B: colleague correction' };
    const saved = await api('PUT', `/api/books/${book.id}`, {
      token: other,
      headers: { 'if-match': current.headers.get('etag') },
      body: Object.fromEntries(['title', 'author', 'genre', 'isbn', 'published_year', 'pages', 'price_cents', 'language', 'description'].map((k) => [k, theirs[k]])),
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.data));
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.waitForURL(/\/signin\?next=%2Fbooks%2F/);
    await p.getByText(KEPT).waitFor();
    await signInHere(p, user.email, user.password);
    await p.waitForURL(new RegExp(`/books/${book.id}$`));
    // The comparison, before anything is saved: the restored field against the colleague's.
    const conflict = p.locator('.conflict');
    await conflict.getByRole('heading', { name: 'Someone else changed this book' }).waitFor();
    assert.deepEqual(await conflict.locator('tbody th').allInnerTexts(), ['Description']);
    const text = await conflict.innerText();
    assert.match(text, /A: my careful rewrite/);
    assert.match(text, /B: colleague correction/);
    assert.match(text, /while you were signed out/);
    assert.equal(await p.getByLabel('Title').inputValue(), theirs.title, 'fields not typed in show their version');
    assert.equal(await p.getByLabel('Description').inputValue(), 'A: my careful rewrite');
    await shot('reaudit-draft-conflict', p);
    // Nothing saves the draft unseen: the form's own Save is withdrawn while the comparison is
    // up, and focus is on its explanation, not on the button that overwrites.
    assert.equal(await p.getByRole('button', { name: 'Save changes' }).isVisible(), false);
    assert.equal(await p.evaluate(() => document.activeElement.textContent), 'Someone else changed this book');
    let stored = await api('GET', `/api/books/${book.id}`, { token: other });
    assert.equal(stored.data.description, 'B: colleague correction', 'nothing was overwritten unseen');
    // Chosen after seeing both: saved over theirs, their title kept.
    await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
    await p.locator('.form-message .state.success').waitFor();
    stored = await api('GET', `/api/books/${book.id}`, { token: other });
    assert.equal(stored.data.description, 'A: my careful rewrite');
    assert.equal(stored.data.title, theirs.title);
    await ctx.close();
    assertClean();
  });

  test('a profile draft says when the profile was changed after it was typed, and only then', async () => {
    const ann = await register('ui-profile-draft');
    const { ctx, p } = await freshPage();
    await signInAs(p, ann.email, ann.password, { next: '/account' });
    const changed = p.getByText(/Your profile was changed after you typed this/);
    for (const changeElsewhere of [false, true]) {
      await p.getByLabel('Postal code').fill(changeElsewhere ? 'SW1A 2AA' : 'SW1A 1AA');
      const other = await tokenOf(ann.email, ann.password);
      await endOtherSessions(other);
      if (changeElsewhere) {
        const patched = await api('PATCH', '/api/auth/me', {
          token: other, body: { name: 'Changed Elsewhere' }, headers: { 'content-type': 'application/merge-patch+json' },
        });
        assert.equal(patched.status, 200, JSON.stringify(patched.data));
      }
      await p.getByRole('button', { name: 'Save profile' }).click();
      await p.waitForURL(/\/signin\?next=%2Faccount/);
      await p.getByText(KEPT).waitFor();
      await signInHere(p, ann.email, ann.password);
      await p.getByText(/has been filled in again/).waitFor();
      assert.equal(await p.getByLabel('Postal code').inputValue(), changeElsewhere ? 'SW1A 2AA' : 'SW1A 1AA');
      if (changeElsewhere) {
        await changed.waitFor();
        assert.equal(await p.getByLabel('Name', { exact: true }).inputValue(), 'Changed Elsewhere', 'the form holds what is stored now');
        await shot('reaudit-profile-changed', p);
      } else {
        assert.equal(await changed.count(), 0, 'no warning when nothing changed');
      }
    }
    await ctx.close();
    assertClean();
  });

  test('a kept draft is dropped when another account signs in (also onto "Not allowed" or "Page not found") and on sign-out', async () => {
    const ann = await register('ui-ann');
    const bob = await register('ui-bob');
    const bobToken = await tokenOf(bob.email, bob.password);
    if (await isAdmin(bobToken)) throw new Error('bob must not be an admin');
    const { ctx, p } = await freshPage();
    const draft = () => p.evaluate(() => sessionStorage.getItem('folio.draft'));
    for (const [next, shown] of [['/users', 'Your account does not have access to this page.'], ['/no-such-page', 'There is no page at /no-such-page.']]) {
      await signInAs(p, ann.email, ann.password, { next: '/account' });
      await p.getByLabel('Mobile number').fill('+447700900555');
      await endOtherSessions(await tokenOf(ann.email, ann.password));
      await p.getByRole('button', { name: 'Save profile' }).click();
      await p.waitForURL(/\/signin\?next=%2Faccount/);
      await p.getByText(KEPT).waitFor();
      assert.match(await draft(), /\+447700900555/);
      // Bob signs in on this tab through a link to a page he does not get.
      await signInAs(p, bob.email, bob.password, { next });
      await p.getByText(shown).waitFor();
      assert.equal(await draft(), null, `Ann's draft while Bob is signed in (${next})`);
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.waitForURL(/\/signin$/);
    }
    // A draft in the tab is gone once its user signs out.
    await signInAs(p, bob.email, bob.password, { next: '/account' });
    await p.getByLabel('Mobile number').waitFor();
    await p.evaluate((account) => sessionStorage.setItem('folio.draft', JSON.stringify({ path: '/account', account, fields: [] })), bob.id);
    await p.getByRole('button', { name: 'Sign out' }).first().click();
    await p.waitForURL(/\/signin$/);
    assert.equal(await draft(), null, 'a draft survived signing out');
    await ctx.close();
    assertClean();
  });

  test('signing in without next still brings the kept draft back', async () => {
    const token = await apiToken();
    const book = await createBook(token, { title: `Detour Draft ${stamp}` });
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: `/books/${book.id}` });
    await p.getByRole('heading', { name: book.title }).waitFor();
    await p.getByLabel('Description').fill('Typed before a detour.');
    await endOtherSessions(await apiToken());
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.waitForURL(/\/signin\?next=/);
    await p.getByText(KEPT).waitFor();
    // A detour through Register, back through the menu: the sign-in page has no next= now.
    await p.locator('#nav').getByRole('link', { name: 'Register' }).click();
    await p.waitForURL(/\/register$/);
    await p.locator('#nav').getByRole('link', { name: 'Sign in' }).click();
    await p.waitForURL(/\/signin$/);
    await signInHere(p, user.email, user.password);
    await p.waitForURL(new RegExp(`/books/${book.id}$`));
    await p.getByText(/has been filled in again/).waitFor();
    assert.equal(await p.getByLabel('Description').inputValue(), 'Typed before a detour.');
    await ctx.close();
    assertClean();
  });

  test('the generator reads a seed as the server does, and refuses one it would have to round', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/generator' });
    const sent = [];
    p.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/api/generator/preview') sent.push(`GET ${url.search}`);
      if (url.pathname === '/api/generator/runs' && r.method() === 'POST') sent.push(`POST ${r.postData()}`);
    });
    const seed = p.getByLabel('Seed');
    const note = p.locator('.preview-note');
    await p.getByLabel('How many books').fill('2');
    // Other spellings of a whole number are that number: the note agrees with the run.
    const n = 1 + (Date.now() % 1000000);
    for (const [typed, value] of [[`000${n}`, n], [`${n}e3`, n * 1000], ['9007199254740991', 9007199254740991]]) {
      await seed.fill(typed);
      await p.getByRole('button', { name: 'Preview' }).click();
      await p.getByRole('heading', { name: `Preview (2) · seed ${value}` }).waitFor();
      assert.equal(sent.at(-1), `GET ?count=2&seed=${value}`);
      assert.equal(await note.innerText(), `“Generate books” uses seed ${value} too, so it adds these books.`);
      assert.equal(await seed.inputValue(), typed, 'the field keeps what was typed');
    }
    await seed.fill(`${n}e3`);
    await p.getByRole('button', { name: 'Preview' }).click();
    await p.getByRole('heading', { name: `Preview (2) · seed ${n * 1000}` }).waitFor();
    await p.getByRole('button', { name: 'Generate books' }).click();
    await p.getByText(new RegExp(`^Added \\d+ books in .* \\(seed ${n * 1000}\\), the books of the preview\\.`)).waitFor();
    assert.deepEqual(JSON.parse(sent.at(-1).slice(5)), { count: 2, seed: n * 1000 });
    // Not a whole number from 0 to 2^53 - 1 as typed: refused at the field, nothing sent.
    const error = p.locator('#f-seed-error');
    const previewWith = async (value) => {
      await seed.fill(String(value));
      await p.getByRole('button', { name: 'Preview' }).click();
      await p.getByRole('heading', { name: `Preview (2) · seed ${value}` }).waitFor();
    };
    for (const typed of ['9007199254740990.6', '4503599627370496.5', '1.5', '9007199254740992', '-1', '1e-3']) {
      await previewWith(n); // a good preview first: no field error left over
      const before = sent.length;
      await seed.fill(typed);
      await p.getByRole('button', { name: 'Preview' }).click();
      await p.locator('#f-seed[aria-invalid="true"]').waitFor({ timeout: 5000 });
      assert.match(await error.innerText(), /whole number from 0 to 9,007,199,254,740,991/, typed);
      await p.getByRole('button', { name: 'Generate books' }).click();
      await p.getByText('Nothing was generated: one field needs a change').waitFor({ timeout: 5000 });
      await p.waitForTimeout(200);
      assert.deepEqual(sent.slice(before), [], `${typed} was sent`);
    }
    // Text a number field cannot read (it reports an empty value) is not a random seed either.
    await previewWith(n);
    const before = sent.length;
    await seed.fill('');
    await seed.focus();
    await p.keyboard.type('1e');
    assert.equal(await seed.inputValue(), '', 'chromium reports no value for it');
    await p.getByRole('button', { name: 'Preview' }).click();
    await p.locator('#f-seed[aria-invalid="true"]').waitFor({ timeout: 5000 });
    await p.waitForTimeout(200);
    assert.deepEqual(sent.slice(before), [], 'an unreadable seed was sent');
    await shot('reaudit-generator-seed', p);
    await ctx.close();
    assertClean();
  });
});

// ---------------------------------------------------------------------------------------------
// Defects found by the new-user audit on real Spin, each with its test.

describe('after the new-user audit', () => {
  test('after "Your session has ended" the sign-in page has the account\'s e-mail filled in, from the draft', async () => {
    const token = await apiToken();
    const book = await createBook(token, { title: `E-mail Draft ${stamp}` });
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: `/books/${book.id}` });
    await p.getByRole('heading', { name: book.title }).waitFor();
    await p.getByLabel('Description').fill('Typed before the session ended.');
    await endOtherSessions(await apiToken());
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.waitForURL(/\/signin\?next=%2Fbooks%2F/);
    await p.getByText(KEPT).waitFor();
    assert.equal(await p.getByLabel('E-mail').inputValue(), user.email);
    // The e-mail is known, so the keyboard starts where typing is left to do.
    assert.equal(await p.evaluate(() => document.activeElement.name), 'password');
    // Nothing kept but the draft (the e-mail rides in it), and nothing in localStorage.
    assert.deepEqual(await p.evaluate(() => ({ local: Object.keys(localStorage), session: Object.keys(sessionStorage) })),
      { local: [], session: ['folio.draft'] });
    await shot('newuser-session-ended-email', p);
    // A reload of the sign-in page (memory gone, the draft still waiting): still filled in.
    await p.reload();
    await p.getByText(KEPT).waitFor();
    assert.equal(await p.getByLabel('E-mail').inputValue(), user.email);
    await p.getByLabel('Password').fill(user.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(new RegExp(`/books/${book.id}$`));
    await p.getByText(/has been filled in again/).waitFor();
    assert.equal(await p.getByLabel('Description').inputValue(), 'Typed before the session ended.');
    assert.deepEqual(await p.evaluate(() => ({ ...sessionStorage })), {}, 'the draft, e-mail and all, is consumed');
    await ctx.close();
    assertClean();
  });

  test('a price with more than two decimals is refused at its field, and nothing is sent', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/books/new' });
    const writes = [];
    p.on('request', (r) => {
      if (['POST', 'PUT'].includes(r.method()) && new URL(r.url()).pathname.startsWith('/api/books')) writes.push(`${r.method()} ${r.postData()}`);
    });
    const title = `Priced ${stamp}`;
    await p.getByLabel('Title').fill(title);
    await p.getByLabel('Author').fill('Ada Tester');
    await p.getByLabel('Genre').fill('Testing');
    await p.getByLabel('ISBN').fill(nextIsbn());
    await p.getByLabel('Year published').fill('2020');
    await p.getByLabel('Pages').fill('321');
    await p.getByLabel('Language').fill('en');
    const price = p.getByLabel('Price');
    for (const typed of ['12.505', '0.001', '1e-3', '12.5051']) {
      await price.fill(typed);
      await p.getByRole('button', { name: 'Create book' }).click();
      await p.locator('#f-price[aria-invalid="true"]').waitFor({ timeout: 5000 });
      assert.equal(await p.locator('#f-price-error').innerText(), 'must have at most two decimals (whole cents)', typed);
      assert.deepEqual(await p.locator('.form-message li').allInnerTexts(), ['Price: must have at most two decimals (whole cents)']);
      await p.getByText('The book was not created: one field needs a change').waitFor();
      assert.equal(await p.evaluate(() => document.activeElement.id), 'f-price', 'focus on the field to correct');
      await p.waitForTimeout(200);
      assert.deepEqual(writes, [], `${typed} was sent`);
      await shot('newuser-price-decimals', p);
    }
    // Trailing zeros are not decimals that matter: 12.500 is 12.50.
    await price.fill('12.500');
    await p.getByRole('button', { name: 'Create book' }).click();
    await p.getByRole('heading', { name: title }).waitFor();
    assert.equal(JSON.parse(writes.at(-1).slice(5)).price_cents, 1250);
    assert.equal(await price.getAttribute('aria-invalid'), null);
    // Editing refuses it alike.
    await price.fill('9.999');
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.locator('#f-price[aria-invalid="true"]').waitFor({ timeout: 5000 });
    await p.getByText('Not saved: one field needs a change').waitFor();
    await p.waitForTimeout(200);
    assert.equal(writes.length, 1, 'no PUT was sent');
    await price.fill('9.99');
    await p.getByRole('button', { name: 'Save changes' }).click();
    await p.locator('.form-message .state.success').waitFor();
    assert.equal(JSON.parse(writes.at(-1).slice(4)).price_cents, 999);
    await ctx.close();
    assertClean();
  });

  test('the generator names the fields the API refuses by their labels', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/generator' });
    await p.getByLabel('How many books').fill('100001');
    await p.getByLabel('Seed').fill('');
    await p.getByRole('button', { name: 'Generate books' }).click();
    await p.locator('#f-count[aria-invalid="true"]').waitFor();
    await p.getByText('Nothing was generated: one field needs a change').waitFor();
    const listed = await p.locator('.form-message li').allInnerTexts();
    assert.equal(listed.length, 1);
    assert.match(listed[0], /^How many books: must be /);
    assert.equal(await p.getByText(/^Count:/).count(), 0);
    await shot('newuser-generator-count', p);
    // Both fields refused by the API at once (made up in the browser: the page refuses such a
    // seed itself before asking): each listed by its label, each at its field.
    await p.route('**/api/generator/runs', (route) => (route.request().method() === 'POST'
      ? route.fulfill({
        status: 422,
        headers: { 'content-type': 'application/problem+json' },
        body: JSON.stringify({
          type: '/docs/problems#validation', title: 'Unprocessable Content', status: 422, detail: 'count: must be an integer from 1 to 100000',
          errors: [{ field: 'count', message: 'must be an integer from 1 to 100000' }, { field: 'seed', message: 'must be an integer from 0 to 9007199254740991' }],
        }),
      })
      : route.continue()));
    await p.getByLabel('How many books').fill('5');
    await p.getByRole('button', { name: 'Generate books' }).click();
    await p.getByText('Nothing was generated: 2 fields need a change').waitFor();
    assert.deepEqual(await p.locator('.form-message li').allInnerTexts(), [
      'How many books: must be an integer from 1 to 100000',
      'Seed: must be an integer from 0 to 9007199254740991',
    ]);
    assert.equal(await p.locator('#f-seed').getAttribute('aria-invalid'), 'true');
    await ctx.close();
    assertClean();
  });

  test('large figures fit their summary cards, at the default width and on a phone', async () => {
    for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 812 }]) {
      for (const total of [366762421, 1234567890123]) {
        const { ctx, p } = await freshPage({ viewport });
        // The summary as the API answers it, with a total as large as a big catalogue's.
        await p.route((url) => url.pathname === '/api/reports/summary', async (route) => {
          const response = await route.fetch();
          const json = await response.json();
          await route.fulfill({ response, json: { ...json, books: Math.max(json.books, 1), total_price_cents: total } });
        });
        await signInAs(p, user.email, user.password, { next: '/reports' });
        const cards = p.locator('#report-summary dl.stats');
        await cards.waitFor();
        const shown = (total / 100).toLocaleString('en-US', { minimumFractionDigits: 2 });
        assert.equal(await cards.locator('div', { hasText: 'Total price' }).locator('dd').innerText(), shown);
        const overflowing = await cards.evaluate((dl) => [...dl.querySelectorAll('div')]
          .filter((card) => {
            const dd = card.querySelector('dd');
            const box = card.getBoundingClientRect();
            const range = document.createRange();
            range.selectNodeContents(dd);
            const text = range.getBoundingClientRect();
            return dd.scrollWidth > dd.clientWidth || text.right > box.right - 1 || text.left < box.left;
          })
          .map((card) => card.innerText.replace(/\s+/g, ' ')));
        assert.deepEqual(overflowing, [], `${viewport.width} px, total ${shown}`);
        assert.equal(await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0,
          `${viewport.width} px: the page scrolls sideways`);
        // Each report's title keeps one line beside (or above) its control and CSV button.
        await p.locator('#report-prices .report-head select').waitFor();
        const squeezed = await p.evaluate(() => [...document.querySelectorAll('.report-head h2')]
          .filter((el) => el.offsetHeight > parseFloat(getComputedStyle(el).lineHeight) * 1.5)
          .map((el) => el.textContent));
        assert.deepEqual(squeezed, [], `${viewport.width} px: report titles squeezed`);
        await shot(`newuser-reports-total-${viewport.width}-${String(total).length}`, p);
        await ctx.close();
      }
    }
    assertClean();
  });

  test('a report control changes nothing until its button applies it; an arrow key alone sends nothing', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/reports' });
    await p.locator('#report-authors canvas').waitFor();
    await p.locator('#report-prices canvas').waitFor();
    const sent = [];
    p.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api/reports/')) sent.push(url.pathname + url.search);
    });
    for (const [name, label, param] of [['authors', 'How many authors', 'limit'], ['years', 'Group by', 'bucket'], ['prices', 'Price ranges', 'buckets']]) {
      const select = p.getByLabel(label, { exact: true });
      const address = p.url();
      const before = await select.inputValue();
      await select.focus();
      await p.keyboard.press('ArrowDown');
      const chosen = await select.inputValue();
      assert.notEqual(chosen, before, `the arrow key chose another ${label}`);
      await p.waitForTimeout(500);
      assert.deepEqual(sent, [], `choosing ${label} is not applying`);
      assert.equal(p.url(), address, 'the URL waits for the choice to be applied');
      const apply = p.locator(`#report-${name}`).getByRole('button', { name: /^Apply/ });
      assert.equal(await apply.isEnabled(), true);
      await Promise.all([
        p.waitForResponse((r) => new URL(r.url()).pathname === `/api/reports/${name}`),
        apply.click(),
      ]);
      assert.deepEqual(sent, [`/api/reports/${name}?${param}=${chosen}`]);
      assert.equal(new URL(p.url()).searchParams.get(param), chosen);
      assert.equal(await p.evaluate(() => document.activeElement.getAttribute('aria-label')), label, 'focus stays on the select');
      assert.equal(await apply.isDisabled(), true, 'nothing left to apply');
      await p.locator(`#report-${name} canvas`).waitFor();
      sent.length = 0;
    }
    await shot('newuser-report-controls', p);
    await ctx.close();
    assertClean();
  });

  test('a search moves focus to the results, one Tab before the first book; navigation still focuses the page', async () => {
    const word = `zq${stamp.replace(/\D/g, '')}`;
    const token = await apiToken();
    for (const n of ['one', 'two']) await createBook(token, { title: `Findable ${word} ${n}` });
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/books' });
    await p.locator('main table, main .state:not(.loading)').first().waitFor();
    const focused = () => p.evaluate(() => {
      const el = document.activeElement;
      return el.id || el.getAttribute('aria-label') || el.textContent;
    });
    assert.equal(await focused(), 'main', 'a page shown by navigation has focus on the page');
    const results = p.getByRole('region', { name: 'Search results' });
    await p.getByLabel('Search', { exact: true }).fill(word);
    await p.getByLabel('Search', { exact: true }).press('Enter');
    await p.getByText('2 books · page 1').waitFor();
    assert.equal(await focused(), 'Search results');
    assert.equal(await results.evaluate((el) => el === document.activeElement), true);
    await p.keyboard.press('Tab');
    assert.equal(await p.evaluate(() => document.activeElement === document.querySelector('main tbody tr a')), true,
      'one Tab reaches the first book');
    assert.match(await focused(), new RegExp(`^Findable ${word} `));
    await shot('newuser-search-focus', p);
    // A filter that finds nothing: focus on the results too, which say so.
    await p.getByLabel('Author').fill(`Nobody ${stamp}`);
    await p.getByRole('button', { name: 'Search', exact: true }).click();
    await p.getByText('No books match these filters.').waitFor();
    assert.equal(await focused(), 'Search results');
    // Navigation (a link, Back) still focuses the page.
    await p.goBack();
    await p.getByText('2 books · page 1').waitFor();
    assert.equal(await focused(), 'main');
    await p.locator('#nav').getByRole('link', { name: 'Catalogue' }).click();
    await p.waitForURL(/\/books$/);
    await p.locator('main table, main .state:not(.loading)').first().waitFor();
    assert.equal(await focused(), 'main');
    await ctx.close();
    assertClean();
  });
});

// ---------------------------------------------------------------------------------------------
// Defects found by the UI audit of 2026-12-07 (evening): the back/forward cache, a busy token
// endpoint, the skip link, what a reader is offered, the administrator's tasks, prices in the
// field's units, the API docs as a next page.

describe('after the back/forward-cache audit', () => {
  // playwright-core starts Chromium with the back/forward cache off; real browsers have it on.
  let cached;
  before(async () => {
    cached = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      ignoreDefaultArgs: ['--disable-back-forward-cache'],
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  after(async () => {
    await cached?.close();
  });
  async function cachedPage() {
    const ctx = await cached.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const p = await ctx.newPage();
    watch(p);
    return { ctx, p };
  }
  // A page shown again from the cache is loaded afresh by the app (main.js): without the cache,
  // Back would be a 'back_forward' navigation.
  const reloadedFromCache = (p) => p.evaluate(() => performance.getEntriesByType('navigation')[0].type === 'reload');

  test('Back to a page the tab has moved on from resumes with the tab\'s session, never its spent token', async () => {
    const token = await apiToken();
    const book = await createBook(token, { title: `Back Cache ${stamp}` });
    const { ctx, p } = await cachedPage();
    await signInAs(p, user.email, user.password, { next: '/books' });
    await p.locator('main table, main .state:not(.loading)').first().waitFor();
    // A full page load of the app (an address typed): it takes the session over and rotates it.
    await p.goto(`${BASE_URL}/reports`);
    await p.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await p.goBack();
    await p.waitForFunction(() => location.pathname === '/books' && document.querySelector('main h1')?.textContent === 'Catalogue');
    assert.equal(await reloadedFromCache(p), true, 'the catalogue came back from the cache and was loaded afresh');
    // Its requests use the tab's current session (the spent token would have ended it).
    await p.goto(`${BASE_URL}/books/${book.id}`);
    await p.getByRole('heading', { name: book.title }).waitFor();
    assert.equal(new URL(p.url()).pathname, `/books/${book.id}`);
    assert.equal((await api('GET', '/api/auth/sessions', { token })).status, 200, 'and the account is still signed in');
    await ctx.close();
    assertClean();
  });

  test('Back after signing out shows no signed-in page from the cache', async () => {
    const { ctx, p } = await cachedPage();
    await signInAs(p, user.email, user.password, { next: '/account' });
    await p.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    // Another document of the tab (an address typed), where the user signs out.
    await p.goto(`${BASE_URL}/books`);
    await p.locator('main table, main .state:not(.loading)').first().waitFor();
    await p.locator('#nav').getByRole('button', { name: 'Sign out' }).click();
    // Signing out redraws the page as signed out (the catalogue's entry becomes
    // /signin?next=/books) and then replaces it with /signin: waited for whole, so that Back does
    // not race the second step on a loaded machine.
    await p.waitForFunction(() => location.pathname === '/signin' && location.search === '');
    await p.goBack(); // the account page, from the cache, loaded afresh: sign-in again
    // (Waited for by what the page shows, not by its address: the page is restored, reloads, and
    // only then replaces its address, which waitForURL did not always see on a loaded machine.)
    await p.waitForFunction(() => location.search === '?next=%2Faccount' && document.querySelector('main h1')?.textContent === 'Sign in');
    assert.equal(await reloadedFromCache(p), true, 'the account page came back from the cache and was loaded afresh');
    assert.equal(await p.getByRole('heading', { name: 'Account', level: 1 }).count(), 0);
    assert.equal(await p.locator('#nav').getByRole('button', { name: 'Sign out' }).count(), 0, 'the navigation is a signed-out one');
    await ctx.close();
    assertClean();
  });
});

describe('after the evening UI audit', () => {
  test('a busy token endpoint does not end the session: a reload resumes it once the server answers', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/account' });
    await p.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    // Two busy answers to the refresh a reload makes: tried again, as Retry-After says.
    let busyLeft = 2;
    await p.route('**/api/auth/token', (route) => {
      if (busyLeft > 0 && /grant_type=refresh_token/.test(route.request().postData() || '')) {
        busyLeft -= 1;
        return route.fulfill({ status: 503, headers: { 'retry-after': '1', 'content-type': 'application/json' },
          body: JSON.stringify({ error: 'temporarily_unavailable', error_description: 'the database is busy' }) });
      }
      return route.continue();
    });
    await p.reload();
    await p.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    assert.equal(busyLeft, 0, 'the reload met both busy answers');
    // Busy for longer than a page waits: the sign-in form, but the session is not ended.
    busyLeft = 100;
    await p.reload();
    await p.waitForURL(/\/signin/);
    assert.equal(await p.getByText('Your session has ended').count(), 0, 'a busy server is not an ended session');
    await p.unroute('**/api/auth/token');
    await p.goto(`${BASE_URL}/account`);
    await p.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await ctx.close();
    assertClean();
  });

  test('the skip link moves focus to the content and changes nothing else', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/books/new' });
    await p.getByLabel('Title').fill('Typed before skipping');
    const before = await p.evaluate(() => [history.length, location.href]);
    await p.locator('.skip-link').focus();
    await p.keyboard.press('Enter');
    assert.equal(await p.evaluate(() => document.activeElement.id), 'main');
    assert.deepEqual(await p.evaluate(() => [history.length, location.href]), before, 'no history entry, same address');
    assert.equal(await p.getByLabel('Title').inputValue(), 'Typed before skipping', 'the page was not drawn again');
    await ctx.close();
    assertClean();
  });

  test('a reader is offered no Save or Generate, and can still read every field', async (t) => {
    const admin = await apiToken();
    if (!(await isAdmin(admin))) return t.skip('needs an admin to make a reader');
    const reader = await register('ui-reader');
    assert.equal((await api('PATCH', `/api/auth/users/${reader.id}`, { token: admin, body: { role: 'reader' } })).status, 200);
    const book = await createBook(admin, { title: `Read Only ${stamp}`, description: 'word '.repeat(400) });
    const { ctx, p } = await freshPage();
    await signInAs(p, reader.email, reader.password, { next: `/books/${book.id}` });
    await p.getByRole('heading', { name: book.title }).waitFor();
    await p.getByText('Your account can read this book but not change it.').waitFor();
    assert.equal(await p.getByRole('button', { name: 'Save changes' }).isVisible(), false);
    assert.equal(await p.getByLabel('Title').evaluate((el) => el.readOnly && !el.disabled), true, 'read-only, still reachable');
    await p.getByLabel('Title').press('Enter');
    assert.equal(await p.locator('.form-message .state.error').count(), 0, 'Enter in a field sends nothing');
    await p.goto(`${BASE_URL}/generator`);
    await p.getByRole('button', { name: 'Preview' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Generate books' }).isVisible(), false);
    await ctx.close();
    assertClean();
  });

  test('prices are refused in the field\'s own units, before anything is sent', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/books/new' });
    const sent = [];
    p.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/books') sent.push(r); });
    for (const [typed, words] of [['-1', 'must be from 0.00 to 1,000,000.00'], ['1000000.01', 'must be from 0.00 to 1,000,000.00']]) {
      await p.getByLabel('Price').fill(typed);
      await p.getByRole('button', { name: 'Create book' }).click();
      await p.locator('#f-price-error').getByText(words).waitFor();
    }
    assert.equal(sent.length, 0);
    await ctx.close();
    assertClean();
  });

  test('the generator refuses a count it cannot use for a preview too', async () => {
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/generator' });
    const previews = [];
    p.on('request', (r) => { if (new URL(r.url()).pathname === '/api/generator/preview') previews.push(r.url()); });
    await p.getByRole('heading', { name: 'Generator', level: 1 }).waitFor();
    for (const typed of ['', '0', '2.5']) {
      await p.getByLabel('How many books').fill(typed);
      await p.getByRole('button', { name: 'Preview' }).click();
      // At the field (its error slot), whatever the page's other text; said in full on failure.
      await p.waitForFunction(() => /must be a whole number from 1 to 100.000/.test(document.getElementById('f-count-error')?.textContent || ''))
        .catch(async (error) => {
          throw new Error(`${typed || '(empty)'}: ${error.message}; the page said: ${await p.locator('main').innerText()}`);
        });
      assert.equal(await p.locator('#f-count-error').isVisible(), true, typed);
    }
    assert.deepEqual(previews, [], 'nothing previewed quietly with another count');
    await ctx.close();
    assertClean();
  });

  test('an administrator sets another account\'s password, rotates the key and reads the service status', async (t) => {
    const admin = await apiToken();
    if (!(await isAdmin(admin))) return t.skip('needs an admin');
    const bob = await register('ui-bob-evening');
    const { ctx, p } = await freshPage();
    await signInAs(p, user.email, user.password, { next: '/users' });
    const service = p.getByRole('region', { name: 'Service' });
    await service.getByText('Live sessions').waitFor();
    await service.getByText('Settings in effect').click();
    await service.getByText('book_read_cache_fill_one_in').waitFor();
    // A password for Bob, refused when weak, then set.
    const before = (await api('GET', '/.well-known/jwks.json')).data.keys.length;
    let row = p.getByRole('row').filter({ hasText: bob.email });
    while (!(await row.count())) {
      await p.getByRole('button', { name: 'Next →' }).click();
      row = p.getByRole('row').filter({ hasText: bob.email });
      await p.waitForTimeout(200);
    }
    await row.getByRole('button', { name: `Set a password for ${bob.email}` }).click();
    const dialog = p.getByRole('dialog');
    await dialog.getByLabel('New password').fill('short');
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await dialog.locator('.field-error').getByText(/at least 10 characters/).waitFor();
    await dialog.getByLabel('New password').fill('a brand new passphrase');
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await p.getByText(`The password of ${bob.email} is set`).waitFor();
    assert.equal((await api('POST', '/api/auth/token', { form: { grant_type: 'password', username: bob.email, password: 'a brand new passphrase' } })).status, 200);
    // The key: rotated after a confirmation; the key set grows by the new standby.
    await service.getByRole('button', { name: 'Rotate signing key' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    await p.getByText(/New tokens are signed with key /).waitFor();
    assert.equal((await api('GET', '/.well-known/jwks.json')).data.keys.length, before + 1);
    await shot('evening-users-service', p);
    await ctx.close();
    assertClean();
  });

  test('signing in with the API docs as the next page opens the docs document', async () => {
    const { ctx, p } = await freshPage();
    await p.goto(`${BASE_URL}/signin?next=${encodeURIComponent('/docs')}`);
    await p.getByLabel('E-mail').fill(user.email);
    await p.getByLabel('Password').fill(user.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.waitForURL(/\/docs$/);
    await p.locator('.swagger-ui').first().waitFor();
    assert.equal(await p.getByText('Page not found').count(), 0);
    await ctx.close();
    assertClean();
  });
});

// ---------------------------------------------------------------------------------------------
// Defects left over from the UI audits (the leftovers audit), each with its test. Each test
// registers an account of its own, so it also runs alone (--test-name-pattern).

/** A new account signed in on a fresh page (of `options`, e.g. a phone's viewport). */
async function freshAccount(prefix, options = {}, next = '/books') {
  const who = await register(prefix);
  const { ctx, p } = await freshPage(options);
  await signInAs(p, who.email, who.password, { next });
  return { who, ctx, p, token: await tokenOf(who.email, who.password) };
}

/** The query of each request the page sends to `path` (an API path), from now on. */
function queriesTo(p, path) {
  const seen = [];
  p.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname === path) seen.push(Object.fromEntries(url.searchParams));
  });
  return seen;
}

describe('after the leftovers audit', () => {
  test('a crafted catalogue address: the controls show exactly what is applied', async () => {
    const { ctx, p } = await freshAccount('ui-crafted');
    const sent = queriesTo(p, '/api/books');
    // Values the controls cannot show: left out of the request, said once, the address rewritten.
    const entries = await p.evaluate(() => history.length);
    await p.goto(`${BASE_URL}/books?limit=7&sort=bogus&year_min=abc&author=Nobody%20Here&q=`);
    await p.locator('main .results[aria-busy="false"]').waitFor();
    assert.equal(new URL(p.url()).search, '?author=Nobody+Here', 'the address says what is applied');
    assert.equal(await p.evaluate(() => history.length), entries + 1, 'rewritten in place, not a new entry');
    assert.deepEqual(sent.at(-1), { count: 'true', author: 'Nobody Here' });
    assert.equal(await p.getByLabel('Per page').inputValue(), '20');
    assert.equal(await p.getByLabel('Sort').inputValue(), '-created_at');
    assert.equal(await p.getByLabel('From year').inputValue(), '');
    assert.equal(await p.getByLabel('Author').inputValue(), 'Nobody Here');
    const note = p.locator('main .address-note');
    assert.match(await note.innerText(), /From year “abc”, Sort “bogus”, Per page “7”/);
    assert.equal(await note.getAttribute('role'), 'status');
    // Values they can show are applied as written, and nothing is said.
    await p.goto(`${BASE_URL}/books?limit=50&sort=title&year_min=1990`);
    await p.locator('main .results[aria-busy="false"]').waitFor();
    assert.equal(new URL(p.url()).search, '?limit=50&sort=title&year_min=1990');
    assert.deepEqual(sent.at(-1), { count: 'true', limit: '50', sort: 'title', year_min: '1990' });
    assert.equal(await p.getByLabel('Per page').inputValue(), '50');
    assert.equal(await p.getByLabel('Sort').inputValue(), 'title');
    assert.equal(await p.getByLabel('From year').inputValue(), '1990');
    assert.equal(await note.count(), 0);
    // The reports read their address by the same rule, report controls included.
    const authors = queriesTo(p, '/api/reports/authors');
    await p.goto(`${BASE_URL}/reports?limit=7&buckets=3&year_min=abc&bucket=year`);
    await p.locator('#report-authors canvas, #report-authors .state.empty').first().waitFor();
    assert.equal(new URL(p.url()).search, '?bucket=year');
    assert.equal(await p.getByLabel('How many authors').inputValue(), '10');
    assert.equal(await p.getByLabel('Price ranges').inputValue(), '10');
    assert.equal(await p.getByLabel('Group by').inputValue(), 'year');
    assert.deepEqual(authors.at(-1), { limit: '10' });
    assert.match(await p.locator('main .address-note').innerText(), /From year “abc”, How many authors “7”, Price ranges “3”/);
    await shot('leftovers-crafted-address', p);
    await ctx.close();
    assertClean();
  });

  test('signing out replaces the page: Back does not land on a second sign-in page', async () => {
    const { ctx, p } = await freshAccount('ui-signout', {}, '/account');
    await p.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await p.locator('#nav').getByRole('link', { name: 'Catalogue' }).click();
    await p.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
    const entries = await p.evaluate(() => history.length);
    await p.locator('#nav').getByRole('button', { name: 'Sign out' }).click();
    await p.waitForFunction(() => location.pathname === '/signin' && location.search === '' && document.querySelector('main h1')?.textContent === 'Sign in');
    assert.equal(await p.evaluate(() => history.length), entries, 'signing out added a history entry');
    // Back: the page before the catalogue (the account), which asks to sign in to go back there.
    await p.goBack();
    await p.waitForFunction(() => location.pathname === '/signin' && location.search === '?next=%2Faccount');
    await p.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await ctx.close();
    assertClean();
  });

  test('an address the app has no page for shows its "not found" page; a missing asset stays a plain 404', async () => {
    // The server: a book's address with a dot in its id is the app's page (it was problem JSON);
    // so is an unknown address (API.md: every other non-API path is the web UI); a missing
    // script is a 404 problem.
    const dotted = await fetch(`${BASE_URL}/books/a.b`);
    assert.equal(dotted.status, 200);
    assert.match(dotted.headers.get('content-type'), /^text\/html/);
    for (const path of ['/no/such/page', '/nope.b']) {
      const unknown = await fetch(`${BASE_URL}${path}`);
      assert.equal(unknown.status, 200, path);
      assert.match(unknown.headers.get('content-type'), /^text\/html/, path);
      assert.match(await unknown.text(), /<script type="module" src="\/assets\/app-[0-9a-f]+\/main\.js">/, path);
    }
    for (const path of ['/assets/nope.js', '/assets/app-0000000000/main.js', '/favicon.ico']) {
      const asset = await fetch(`${BASE_URL}${path}`);
      assert.equal(asset.status, 404, path);
      assert.match(asset.headers.get('content-type'), /problem\+json/, path);
    }
    // The browser: the app's own words, never the API's JSON.
    const { ctx, p } = await freshAccount('ui-notfound');
    await p.goto(`${BASE_URL}/books/a.b`);
    await p.getByRole('heading', { name: 'Book not found', level: 1 }).waitFor();
    await p.getByText('There is no book at /books/a.b.').waitFor();
    assert.doesNotMatch(await p.locator('body').innerText(), /"status"|problem|no book with/i);
    await p.getByRole('link', { name: '← Catalogue' }).click();
    await p.getByRole('heading', { name: 'Catalogue', level: 1 }).waitFor();
    const response = await p.goto(`${BASE_URL}/no/such/page`);
    assert.equal(response.status(), 200);
    await p.getByRole('heading', { name: 'Page not found', level: 1 }).waitFor();
    await p.getByText('There is no page at /no/such/page.').waitFor();
    assert.equal(await p.title(), 'Not found · Folio');
    await ctx.close();
    assertClean();
  });

  test('report charts keep their labels whole and apart on a phone; an outlier price is explained', async () => {
    const { ctx, p, token, who } = await freshAccount('ui-charts', { viewport: { width: 375, height: 667 } });
    const author = `Chart Author ${stamp}`;
    const genres = ['Historical Romance of the Regency Period', 'Literary Fiction and Other Very Long Genre Names', 'Science Fiction', 'Fantasy', 'Mystery'];
    for (let i = 0; i < 20; i += 1) {
      await createBook(token, { title: `Chart ${i}`, author, genre: genres[i % genres.length], price_cents: 500 + i * 250, published_year: 1950 + i * 3 });
    }
    // One mistyped price, a hundred thousand times the others.
    await createBook(token, { title: 'Chart outlier', author, genre: 'Fantasy', price_cents: 99_999_999, language: 'de' });
    await p.goto(`${BASE_URL}/reports?author=${encodeURIComponent(author)}`);
    for (const name of ['genres', 'years', 'prices']) await p.locator(`#report-${name} canvas`).waitFor();
    await p.waitForFunction(() => ['genres', 'years', 'prices'].every((name) => {
      const chart = window.Chart?.getChart(document.querySelector(`#report-${name} canvas`));
      return chart && chart.chartArea && !chart.animating;
    }));
    // Each drawn tick label, measured in its own font: inside the canvas, level on an ordered
    // axis, and not overlapping its neighbour.
    const boxes = await p.evaluate(() => ['genres', 'years', 'prices'].map((name) => {
      const chart = window.Chart.getChart(document.querySelector(`#report-${name} canvas`));
      const axis = chart.options.indexAxis === 'y' ? 'y' : 'x';
      const { ctx } = chart;
      const labels = chart.scales[axis].getLabelItems().map((item) => {
        ctx.font = item.font.string;
        const width = ctx.measureText(String(item.label)).width;
        const [x] = item.options.translation;
        const left = item.options.textAlign === 'right' ? x - width : item.options.textAlign === 'left' ? x : x - width / 2;
        return { label: String(item.label), left, right: left + width, rotation: item.options.rotation };
      });
      return { name, axis, width: chart.width, labels };
    }));
    for (const { name, axis, width, labels } of boxes) {
      assert.ok(labels.length >= 2, `${name}: labels drawn`);
      for (const l of labels) {
        assert.ok(l.left >= 0 && l.right <= width, `${name}: "${l.label}" is cut off (${Math.round(l.left)}..${Math.round(l.right)} of ${width} px)`);
        if (axis === 'x') assert.ok(l.rotation === 0, `${name}: "${l.label}" is rotated`);
      }
      if (axis === 'x') {
        for (let i = 1; i < labels.length; i += 1) {
          assert.ok(labels[i].left >= labels[i - 1].right, `${name}: "${labels[i - 1].label}" and "${labels[i].label}" overlap`);
        }
      }
    }
    // The outlier stretches every price range: the chart says so, with the percentiles.
    const note = p.locator('#report-prices .chart-note');
    assert.match(await note.innerText(), /^20 of 21 books are in one bar, 5\.00–.*the highest is 999,999\.99.*Half the books cost at most /);
    // The table and the tooltip keep the whole range; the axis has the short one.
    await p.locator('#report-prices summary').click();
    assert.match(await p.locator('#report-prices tbody th').first().innerText(), /^5\.00–100,004\.50$/);
    await shot('leftovers-charts-phone', p);
    // Without the outlier the histogram needs no note.
    await p.goto(`${BASE_URL}/reports?author=${encodeURIComponent(author)}&language=en`);
    await p.locator('#report-prices canvas').waitFor();
    assert.equal(await p.locator('#report-prices .chart-note').count(), 0);
    assert.ok(who.email);
    await ctx.close();
    assertClean();
  });

  test('on a phone the catalogue\'s filters fold behind a button, so books are on the first screen', async () => {
    const { ctx, p, token } = await freshAccount('ui-phone', { viewport: { width: 375, height: 667 } }, '/account');
    const author = `Phone Author ${stamp}`;
    await createBook(token, { title: `Phone Book ${stamp}`, author });
    await p.goto(`${BASE_URL}/books`);
    const first = p.locator('main tbody a').first();
    await first.waitFor();
    const box = await first.boundingBox();
    assert.ok(box.y + box.height <= 667, `the first book is below the first screen (at ${Math.round(box.y)} px)`);
    const toggle = p.getByRole('button', { name: 'Filters' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await p.getByLabel('Search', { exact: true }).isVisible(), false);
    // Keyboard: Enter opens, the next Tab is the first field; Space closes.
    await toggle.focus();
    await p.keyboard.press('Enter');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(await p.getByLabel('Search', { exact: true }).isVisible(), true);
    assert.equal(await p.evaluate((id) => document.getElementById(id)?.tagName, await toggle.getAttribute('aria-controls')), 'FORM');
    await p.keyboard.press('Tab');
    assert.equal(await p.evaluate(() => document.activeElement.name), 'q');
    await p.keyboard.press('Shift+Tab');
    await p.keyboard.press(' ');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(await p.getByLabel('Search', { exact: true }).isVisible(), false);
    // A search from the open form: the results, with the filters folded and counted on the button.
    await toggle.click();
    await p.getByLabel('Author').fill(author);
    await p.getByLabel('Author').press('Enter');
    await p.waitForURL(/author=/);
    await p.getByRole('button', { name: 'Filters (1 applied)' }).waitFor();
    await p.getByRole('link', { name: `Phone Book ${stamp}`, exact: true }).waitFor();
    // A filter the API refuses opens the form, so its field's message is seen.
    await p.goto(`${BASE_URL}/books?q=*`);
    await p.locator('[name="q"][aria-invalid="true"]').waitFor();
    assert.equal(await p.getByLabel('Search', { exact: true }).isVisible(), true);
    assert.equal(await p.getByRole('button', { name: /^Filters/ }).getAttribute('aria-expanded'), 'true');
    await shot('leftovers-phone-filters', p);
    // A wide screen shows the form and no button.
    await p.setViewportSize({ width: 1280, height: 900 });
    await p.goto(`${BASE_URL}/books`);
    await p.getByLabel('Search', { exact: true }).waitFor();
    assert.equal(await p.getByRole('button', { name: /^Filters/ }).count(), 0, 'no Filters button on a wide screen');
    await ctx.close();
    assertClean();
  });
});
