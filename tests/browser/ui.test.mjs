// The web UI in a real browser: Debian's chromium driven by playwright-core, against the app at
// BASE_URL (the app under `spin up`, started by run-on-spin.sh). The flows run in order in
// one browser context, as one user would: register, sign in, create, edit, conflict, delete,
// generate, every report, CSV download, account and sessions, the profile, a new password,
// leaving, reload, sign out, API docs.
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

  test('an edit on a stale version shows the conflict and can overwrite', async () => {
    const id = page.url().split('/').pop();
    // Someone else saves the book after this page read it.
    const token = await apiToken();
    const current = await fetch(`${BASE_URL}/api/books/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(current.status, 200);
    const body = await current.json();
    const theirs = {};
    for (const k of ['title', 'author', 'genre', 'isbn', 'published_year', 'pages', 'price_cents', 'language', 'description']) theirs[k] = body[k];
    theirs.author = 'Someone Else';
    const put = await fetch(`${BASE_URL}/api/books/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': current.headers.get('etag') },
      body: JSON.stringify(theirs),
    });
    assert.equal(put.status, 200, await put.clone().text());

    await page.getByLabel('Pages').fill('400');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const conflict = page.locator('.conflict');
    await conflict.getByRole('heading', { name: 'Someone else changed this book' }).waitFor();
    const text = await conflict.innerText();
    assert.match(text, /Someone Else/);
    assert.match(text, /Ada Tester/);
    await shot('book-conflict');
    await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
    await page.locator('.form-message .state.success').waitFor();
    const after = await (await fetch(`${BASE_URL}/api/books/${id}`, { headers: { authorization: `Bearer ${token}` } })).json();
    assert.equal(after.pages, 400);
    assert.equal(after.author, 'Ada Tester');
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
    await page.getByLabel('Search').fill(bookTitle);
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
    await page.getByRole('heading', { name: /^Preview \(60\)$/ }).waitFor();
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
    await page.locator('#report-years select').selectOption('year');
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
    await page.getByRole('button', { name: 'Sign out' }).first().click();
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
