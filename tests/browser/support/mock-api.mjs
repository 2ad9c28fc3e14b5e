// A stand-in for the folio API, in memory, following /work/shared/API.md closely enough to drive
// the UI: tokens with rotation, books with ETag/If-Match, generator, reports with CSV, sessions
// and users. Every other path is proxied to the real UI server (folio-ui's `serve` example or the
// app itself), so the UI's own headers, CSP included, are the real ones.
//
// It exists so the UI and its browser tests can be developed while the backend is being built.
// It is NOT the thing under test: CI runs the browser tests against the real app (BASE_URL).
//
//   UI_ORIGIN=http://127.0.0.1:8081 node tests/browser/support/mock-api.mjs 127.0.0.1:8090

import { createServer, request as httpRequest } from 'node:http';
import { randomUUID, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export function createMockApi({ uiOrigin, openapiFile }) {
  const accounts = [];
  const sessions = new Map(); // sid -> {id, accountId, refresh, access:Set, created_at, last_used_at, expires_at, revoked}
  const books = new Map();
  const runs = [];
  let seq = 0;

  const now = () => new Date().toISOString();
  const problem = (res, status, detail, extra = {}) => {
    res.writeHead(status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...(extra.headers || {}) });
    res.end(JSON.stringify({ type: 'about:blank', title: String(status), status, detail, ...(extra.body || {}) }));
  };
  const json = (res, status, value, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };
  const scopesOf = (role) => ({
    reader: 'read:books read:reports',
    editor: 'read:books read:reports create:books update:books delete:books generate:books',
    admin: 'read:books read:reports create:books update:books delete:books generate:books admin:users',
  })[role];
  const publicAccount = (a) => ({ id: a.id, email: a.email, name: a.name, role: a.role, disabled: a.disabled, created_at: a.created_at });
  const etagOf = (b) => `"v${b.version}-${b.id.slice(0, 8)}"`;

  function issue(session, account) {
    const access = randomUUID();
    const refresh = randomUUID();
    session.access.add(access);
    session.refresh = refresh;
    return { access_token: access, token_type: 'Bearer', expires_in: 900, refresh_token: refresh, scope: scopesOf(account.role) };
  }

  function principal(req) {
    const header = req.headers.authorization || '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : null;
    if (!token) return { error: [401, 'Bearer'] };
    for (const s of sessions.values()) {
      if (!s.revoked && s.access.has(token)) {
        const account = accounts.find((a) => a.id === s.accountId);
        if (!account || account.disabled) break;
        s.last_used_at = now();
        return { account, session: s, scopes: new Set(scopesOf(account.role).split(' ')) };
      }
    }
    return { error: [401, 'Bearer error="invalid_token"'] };
  }

  function guard(req, res, scope) {
    const p = principal(req);
    if (p.error) {
      problem(res, p.error[0], 'the access token is missing, expired or revoked', { headers: { 'www-authenticate': p.error[1] } });
      return null;
    }
    if (scope && !p.scopes.has(scope)) {
      problem(res, 403, `this request needs the scope ${scope}`, { headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` } });
      return null;
    }
    return p;
  }

  function validateBook(body) {
    const errors = [];
    const allowed = ['title', 'author', 'genre', 'isbn', 'published_year', 'pages', 'price_cents', 'language', 'description'];
    for (const key of Object.keys(body)) if (!allowed.includes(key)) errors.push({ field: key, message: 'unknown field' });
    const str = (k, min, max) => {
      if (typeof body[k] !== 'string' || body[k].length < min || body[k].length > max) errors.push({ field: k, message: `must be ${min} to ${max} characters` });
    };
    str('title', 1, 300);
    str('author', 1, 200);
    str('genre', 1, 50);
    const isbn = String(body.isbn || '').replace(/[- ]/g, '');
    const valid = /^\d{13}$/.test(isbn) && [...isbn].reduce((s, d, i) => s + Number(d) * (i % 2 ? 3 : 1), 0) % 10 === 0;
    if (!valid) errors.push({ field: 'isbn', message: 'not a valid ISBN-13' });
    const int = (k, min, max) => {
      if (!Number.isInteger(body[k]) || body[k] < min || body[k] > max) errors.push({ field: k, message: `must be an integer from ${min} to ${max}` });
    };
    int('published_year', 1450, new Date().getFullYear() + 1);
    int('pages', 1, 100000);
    int('price_cents', 0, 100000000);
    if (!/^[a-z]{2}$/.test(String(body.language || ''))) errors.push({ field: 'language', message: 'must be an ISO 639-1 code' });
    if (body.description !== undefined && String(body.description).length > 10000) errors.push({ field: 'description', message: 'at most 10000 characters' });
    return { errors, isbn };
  }

  function filterBooks(q) {
    let items = [...books.values()];
    const words = (q.get('q') || '').toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length) items = items.filter((b) => words.every((w) => `${b.title} ${b.author} ${b.description}`.toLowerCase().includes(w)));
    for (const k of ['author', 'genre', 'language']) if (q.get(k)) items = items.filter((b) => b[k] === q.get(k));
    if (q.get('year_min')) items = items.filter((b) => b.published_year >= Number(q.get('year_min')));
    if (q.get('year_max')) items = items.filter((b) => b.published_year <= Number(q.get('year_max')));
    return items;
  }

  const GENRES = ['Fiction', 'Mystery', 'Science', 'History', 'Poetry', 'Fantasy'];
  const AUTHORS = ['Ada Lovelace', 'Jorge Borges', 'Ursula Le Guin', 'Italo Calvino', 'Toni Morrison', 'Stanisław Lem', 'Clarice Lispector'];
  function generate(count, seed) {
    let state = BigInt.asUintN(64, BigInt(seed) * 6364136223846793005n + 1442695040888963407n);
    const next = () => {
      state = BigInt.asUintN(64, state * 6364136223846793005n + 1442695040888963407n);
      return Number(state >> 33n) / 2 ** 31;
    };
    const out = [];
    for (let i = 0; i < count; i++) {
      const base = `978${String(Math.floor(next() * 1e9)).padStart(9, '0')}`;
      const sum = [...base].reduce((s, d, j) => s + Number(d) * (j % 2 ? 3 : 1), 0);
      out.push({
        title: `Lorem ${['ipsum', 'dolor', 'sit', 'amet', 'consectetur'][Math.floor(next() * 5)]} ${i + 1}`,
        author: AUTHORS[Math.floor(next() ** 2 * AUTHORS.length)],
        genre: GENRES[Math.floor(next() ** 1.5 * GENRES.length)],
        isbn: base + ((10 - (sum % 10)) % 10),
        published_year: 1900 + Math.floor(next() * 125),
        pages: 50 + Math.floor(next() * 800),
        price_cents: 199 + Math.floor(next() * 5000),
        language: ['en', 'fr', 'de', 'es'][Math.floor(next() * 4)],
        description: 'Lorem ipsum dolor sit amet.',
      });
    }
    return out;
  }

  function report(name, q) {
    const items = filterBooks(q);
    const avg = (xs) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null);
    const group = (key) => {
      const m = new Map();
      for (const b of items) m.set(b[key], [...(m.get(b[key]) || []), b]);
      return m;
    };
    if (name === 'summary') {
      const years = items.map((b) => b.published_year);
      return {
        books: items.length, authors: group('author').size, genres: group('genre').size, languages: group('language').size,
        total_price_cents: items.reduce((s, b) => s + b.price_cents, 0), average_price_cents: avg(items.map((b) => b.price_cents)),
        average_pages: avg(items.map((b) => b.pages)), earliest_year: years.length ? Math.min(...years) : null, latest_year: years.length ? Math.max(...years) : null,
      };
    }
    if (name === 'genres') {
      return { items: [...group('genre')].map(([genre, bs]) => ({ genre, books: bs.length, share: bs.length / items.length, average_price_cents: avg(bs.map((b) => b.price_cents)), average_pages: avg(bs.map((b) => b.pages)) })).sort((a, b) => b.books - a.books) };
    }
    if (name === 'authors') {
      const limit = Number(q.get('limit') || 10);
      return { items: [...group('author')].map(([author, bs]) => ({ author, books: bs.length, average_price_cents: avg(bs.map((b) => b.price_cents)) })).sort((a, b) => b.books - a.books).slice(0, limit) };
    }
    if (name === 'years') {
      const bucket = q.get('bucket') || 'year';
      const size = bucket === 'decade' ? 10 : 1;
      const m = new Map();
      for (const b of items) {
        const start = Math.floor(b.published_year / size) * size;
        m.set(start, (m.get(start) || 0) + 1);
      }
      return { bucket, items: [...m].sort((a, b) => a[0] - b[0]).map(([start, n]) => ({ start, end: start + size - 1, books: n })) };
    }
    if (name === 'prices') {
      const n = Number(q.get('buckets') || 10);
      const prices = items.map((b) => b.price_cents).sort((a, b) => a - b);
      if (!prices.length) return { books: 0, min_cents: null, max_cents: null, p50_cents: null, p90_cents: null, p99_cents: null, histogram: [] };
      const min = prices[0];
      const max = prices[prices.length - 1];
      const width = Math.max(1, Math.ceil((max - min + 1) / n));
      const histogram = Array.from({ length: n }, (_, i) => ({ from_cents: min + i * width, to_cents: min + (i + 1) * width, books: 0 }));
      for (const p of prices) histogram[Math.min(n - 1, Math.floor((p - min) / width))].books++;
      const rank = (p) => prices[Math.max(1, Math.ceil((p / 100) * prices.length)) - 1];
      return { books: prices.length, min_cents: min, max_cents: max, p50_cents: rank(50), p90_cents: rank(90), p99_cents: rank(99), histogram };
    }
    return null;
  }

  function csv(name, data) {
    const rows = name === 'summary' ? [Object.keys(data), Object.values(data)]
      : name === 'prices' ? [['from_cents', 'to_cents', 'books'], ...data.histogram.map((b) => [b.from_cents, b.to_cents, b.books])]
        : [Object.keys(data.items[0] || { empty: '' }), ...data.items.map((r) => Object.values(r))];
    return rows.map((r) => r.map((c) => (c === null ? '' : /[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(',')).join('\r\n') + '\r\n';
  }

  async function readBody(req) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function api(req, res, url) {
    const path = url.pathname;
    const method = req.method;
    const q = url.searchParams;
    let raw = '';
    let body = null;
    if (['POST', 'PUT', 'PATCH'].includes(method)) {
      raw = await readBody(req);
      const type = (req.headers['content-type'] || '').split(';')[0].trim();
      if (type === 'application/json' || type === 'application/merge-patch+json') {
        try {
          body = raw ? JSON.parse(raw) : null;
        } catch {
          return problem(res, 400, 'the body is not valid JSON');
        }
      } else if (type === 'application/x-www-form-urlencoded') {
        body = Object.fromEntries(new URLSearchParams(raw));
      }
    }

    if (path === '/api/auth/register' && method === 'POST') {
      const email = String(body?.email || '').trim();
      const errors = [];
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.push({ field: 'email', message: 'not a valid e-mail address' });
      if (String(body?.password || '').length < 10) errors.push({ field: 'password', message: 'must be at least 10 characters' });
      if (errors.length) return problem(res, 422, errors.length === 1 ? `${errors[0].field}: ${errors[0].message}` : `${errors.length} fields are invalid`, { body: { errors } });
      if (accounts.some((a) => a.email.toLowerCase() === email.toLowerCase())) return problem(res, 409, 'an account with this e-mail exists');
      const account = { id: randomUUID(), email, name: body.name || null, password: body.password, role: accounts.length ? 'editor' : 'admin', disabled: false, created_at: now() };
      accounts.push(account);
      return json(res, 201, publicAccount(account));
    }
    if (path === '/api/auth/token' && method === 'POST') {
      if (body?.grant_type === 'password') {
        const account = accounts.find((a) => a.email.toLowerCase() === String(body.username || '').toLowerCase());
        if (!account || account.password !== body.password || account.disabled) return problem(res, 400, 'the e-mail or password is wrong', { body: { error: 'invalid_grant', error_description: 'the e-mail or password is wrong' } });
        const s = { id: randomUUID(), accountId: account.id, access: new Set(), refresh: null, created_at: now(), last_used_at: now(), expires_at: new Date(Date.now() + 30 * 864e5).toISOString(), revoked: false };
        sessions.set(s.id, s);
        return json(res, 200, issue(s, account), { 'cache-control': 'no-store' });
      }
      if (body?.grant_type === 'refresh_token') {
        const s = [...sessions.values()].find((x) => !x.revoked && x.refresh === body.refresh_token);
        if (!s) return problem(res, 400, 'the refresh token is not valid', { body: { error: 'invalid_grant', error_description: 'the refresh token is not valid' } });
        const account = accounts.find((a) => a.id === s.accountId);
        return json(res, 200, issue(s, account), { 'cache-control': 'no-store' });
      }
      return problem(res, 400, 'unsupported grant type', { body: { error: 'unsupported_grant_type' } });
    }
    if (path === '/api/auth/logout' && method === 'POST') {
      const p = guard(req, res);
      if (!p) return;
      p.session.revoked = true;
      res.writeHead(204).end();
      return;
    }
    if (path === '/api/auth/me' && method === 'GET') {
      const p = guard(req, res);
      if (!p) return;
      return json(res, 200, { account: publicAccount(p.account), claims: { sub: p.account.id, sid: p.session.id, email: p.account.email, role: p.account.role, scope: scopesOf(p.account.role), exp: Math.floor(Date.now() / 1000) + 900 } });
    }
    if (path === '/api/auth/sessions' && method === 'GET') {
      const p = guard(req, res);
      if (!p) return;
      const items = [...sessions.values()].filter((s) => s.accountId === p.account.id && !s.revoked)
        .map((s) => ({ id: s.id, created_at: s.created_at, last_used_at: s.last_used_at, expires_at: s.expires_at, current: s.id === p.session.id }));
      return json(res, 200, { items });
    }
    let m = path.match(/^\/api\/auth\/sessions\/([^/]+)$/);
    if (m && method === 'DELETE') {
      const p = guard(req, res);
      if (!p) return;
      const s = sessions.get(m[1]);
      if (!s || s.accountId !== p.account.id || s.revoked) return problem(res, 404, 'no such session');
      s.revoked = true;
      res.writeHead(204).end();
      return;
    }
    if (path === '/api/auth/users' && method === 'GET') {
      if (!guard(req, res, 'admin:users')) return;
      return json(res, 200, { items: accounts.map(publicAccount), next_cursor: null });
    }
    m = path.match(/^\/api\/auth\/users\/([^/]+)$/);
    if (m && method === 'PATCH') {
      if (!guard(req, res, 'admin:users')) return;
      const account = accounts.find((a) => a.id === m[1]);
      if (!account) return problem(res, 404, 'no such account');
      if (body.role) account.role = body.role;
      if (typeof body.disabled === 'boolean') account.disabled = body.disabled;
      if (account.disabled) for (const s of sessions.values()) if (s.accountId === account.id) s.revoked = true;
      return json(res, 200, publicAccount(account));
    }

    if (path === '/api/books' && method === 'GET') {
      if (!guard(req, res, 'read:books')) return;
      const sort = q.get('sort') || '-created_at';
      const key = sort.replace(/^-/, '');
      const dir = sort.startsWith('-') ? -1 : 1;
      const all = filterBooks(q).sort((a, b) => (a[key] < b[key] ? -dir : a[key] > b[key] ? dir : (a.seq - b.seq) * dir));
      const limit = Number(q.get('limit') || 20);
      const offset = Number(q.get('cursor') || 0);
      const items = all.slice(offset, offset + limit).map(({ seq: _s, ...b }) => b);
      const result = { items, next_cursor: offset + limit < all.length ? String(offset + limit) : null };
      if (q.get('count') === 'true') result.total = all.length;
      return json(res, 200, result);
    }
    if (path === '/api/books' && method === 'POST') {
      const p = guard(req, res, 'create:books');
      if (!p) return;
      const { errors, isbn } = validateBook(body || {});
      if (errors.length) return problem(res, 422, errors.length === 1 ? `${errors[0].field}: ${errors[0].message}` : `${errors.length} fields are invalid`, { body: { errors } });
      if ([...books.values()].some((b) => b.isbn === isbn)) return problem(res, 409, 'a book with this ISBN exists');
      const book = { ...body, isbn, description: body.description || '', id: randomUUID(), created_at: now(), updated_at: now(), created_by: p.account.id, version: 1, seq: ++seq };
      books.set(book.id, book);
      const { seq: _s, ...out } = book;
      return json(res, 201, out, { etag: etagOf(book), location: `/api/books/${book.id}` });
    }
    m = path.match(/^\/api\/books\/([^/]+)$/);
    if (m) {
      const book = books.get(m[1]);
      const scope = { GET: 'read:books', PUT: 'update:books', PATCH: 'update:books', DELETE: 'delete:books' }[method];
      if (!scope) return problem(res, 405, 'method not allowed', { headers: { allow: 'GET, PUT, PATCH, DELETE' } });
      if (!guard(req, res, scope)) return;
      if (!book) return problem(res, 404, 'no such book');
      const ifMatch = req.headers['if-match'];
      if (method !== 'GET' && ifMatch && ifMatch !== '*' && ifMatch !== etagOf(book)) return problem(res, 412, 'the resource has changed since you read it; fetch it again and retry');
      if (method === 'GET') {
        if (req.headers['if-none-match'] === etagOf(book)) {
          res.writeHead(304, { etag: etagOf(book) }).end();
          return;
        }
        const { seq: _s, ...out } = book;
        return json(res, 200, out, { etag: etagOf(book) });
      }
      if (method === 'DELETE') {
        books.delete(book.id);
        res.writeHead(204).end();
        return;
      }
      const merged = method === 'PATCH' ? { ...book, ...body } : body || {};
      const candidate = Object.fromEntries(['title', 'author', 'genre', 'isbn', 'published_year', 'pages', 'price_cents', 'language', 'description'].filter((k) => merged[k] !== undefined).map((k) => [k, merged[k]]));
      const { errors, isbn } = validateBook(method === 'PATCH' ? candidate : body || {});
      if (errors.length) return problem(res, 422, errors.length === 1 ? `${errors[0].field}: ${errors[0].message}` : `${errors.length} fields are invalid`, { body: { errors } });
      Object.assign(book, candidate, { isbn, updated_at: now(), version: book.version + 1 });
      const { seq: _s, ...out } = book;
      return json(res, 200, out, { etag: etagOf(book) });
    }

    if (path === '/api/generator/preview' && method === 'GET') {
      if (!guard(req, res, 'read:books')) return;
      const count = Number(q.get('count'));
      if (!Number.isInteger(count) || count < 1 || count > 100) return problem(res, 422, 'count: must be from 1 to 100', { body: { errors: [{ field: 'count', message: 'must be from 1 to 100' }] } });
      // As the real API: a random seed when none is given, and the seed used in the answer.
      const seed = q.get('seed') ? Number(q.get('seed')) : Math.floor(Math.random() * 1e9);
      return json(res, 200, { seed, count, items: generate(count, seed) });
    }
    if (path === '/api/generator/runs' && method === 'POST') {
      const p = guard(req, res, 'generate:books');
      if (!p) return;
      const count = body?.count;
      if (!Number.isInteger(count) || count < 1 || count > 100000) return problem(res, 422, 'count: must be from 1 to 100000', { body: { errors: [{ field: 'count', message: 'must be from 1 to 100000' }] } });
      const seed = Number.isInteger(body.seed) ? body.seed : Math.floor(Math.random() * 1e9);
      const started = Date.now();
      let inserted = 0;
      for (const b of generate(count, seed)) {
        if ([...books.values()].some((x) => x.isbn === b.isbn)) continue;
        const book = { ...b, id: randomUUID(), created_at: now(), updated_at: now(), created_by: p.account.id, version: 1, seq: ++seq };
        books.set(book.id, book);
        inserted++;
      }
      const run = { id: randomUUID(), count, seed, inserted, elapsed_ms: Date.now() - started, created_at: now() };
      runs.unshift(run);
      return json(res, 201, run);
    }
    if (path === '/api/generator/runs' && method === 'GET') {
      if (!guard(req, res, 'read:books')) return;
      return json(res, 200, { items: runs });
    }

    if (path === '/api/reports' && method === 'GET') {
      if (!guard(req, res, 'read:reports')) return;
      return json(res, 200, { items: ['summary', 'genres', 'authors', 'years', 'prices'].map((name) => ({ name, title: name, description: name })) });
    }
    m = path.match(/^\/api\/reports\/([a-z]+)$/);
    if (m && method === 'GET') {
      if (!guard(req, res, 'read:reports')) return;
      const data = report(m[1], q);
      if (!data) return problem(res, 404, 'no such report');
      const wantsCsv = q.get('format') === 'csv' || (req.headers.accept || '').includes('text/csv');
      const text = wantsCsv ? csv(m[1], data) : JSON.stringify(data);
      const etag = `"${createHash('sha256').update(text).digest('hex').slice(0, 16)}"`;
      res.writeHead(200, { 'content-type': wantsCsv ? 'text/csv; charset=utf-8; header=present' : 'application/json', etag });
      res.end(text);
      return;
    }
    return problem(res, 404, `no API resource at ${path}`);
  }

  function proxy(req, res) {
    const target = new URL(req.url, uiOrigin);
    const upstream = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => problem(res, 502, 'the UI server is not reachable'));
    req.pipe(upstream);
  }

  return createServer((req, res) => {
    const url = new URL(req.url, 'http://mock');
    // The OpenAPI document, when one is given (OPENAPI_FILE); otherwise the UI server's 404.
    if (url.pathname === '/api/openapi.json' && openapiFile) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(readFileSync(openapiFile));
      return;
    }
    if (url.pathname.startsWith('/api/') && url.pathname !== '/api/openapi.json') {
      api(req, res, url).catch((error) => {
        console.error(error);
        problem(res, 500, 'mock failure');
      });
    } else {
      proxy(req, res);
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [host, port] = (process.argv[2] || '127.0.0.1:8090').split(':');
  const uiOrigin = process.env.UI_ORIGIN || 'http://127.0.0.1:8081';
  createMockApi({ uiOrigin, openapiFile: process.env.OPENAPI_FILE }).listen(Number(port), host, () => console.log(`mock API on http://${host}:${port}, UI from ${uiOrigin}`));
}
