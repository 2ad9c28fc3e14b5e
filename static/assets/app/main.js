// The app shell: routing (History API), navigation by scope, and page lifecycles.

import { can, currentSession, onSessionChange, releaseHeldSession, restore, signOut } from './api.js';
import { h, notFound, replace, state, errorBox } from './dom.js';
import { applyDraft, dropDraft, keepDraft, keepDraftOnlyFor, takeDraft } from './drafts.js';
import * as signin from './pages/signin.js';
import * as register from './pages/register.js';
import * as books from './pages/books.js';
import * as bookForm from './pages/book-form.js';
import * as generator from './pages/generator.js';
import * as reports from './pages/reports.js';
import * as account from './pages/account.js';
import * as users from './pages/users.js';

const routes = [
  { path: /^\/signin$/, page: signin, public: true },
  { path: /^\/register$/, page: register, public: true },
  { path: /^\/books$/, page: books },
  { path: /^\/books\/new$/, page: bookForm, scope: 'create:books' },
  { path: /^\/books\/([^/]+)$/, page: bookForm },
  { path: /^\/generator$/, page: generator },
  { path: /^\/reports$/, page: reports, scope: 'read:reports' },
  { path: /^\/account$/, page: account },
  { path: /^\/users$/, page: users, scope: 'admin:users' },
];

const links = [
  { href: '/books', label: 'Catalogue', scope: 'read:books' },
  { href: '/generator', label: 'Generator', scope: 'read:books' },
  { href: '/reports', label: 'Reports', scope: 'read:reports' },
  { href: '/users', label: 'Users', scope: 'admin:users' },
  { href: '/account', label: 'Account' },
];

const main = document.getElementById('main');
let cleanup = null;
let renderId = 0;

// `state` rides in the history entry: it comes back with Back, Forward and a reload (the
// catalogue keeps its trail of earlier pages there). `focus` is for this navigation alone (never
// in the history entry, so Back and a reload focus the page as any navigation does): 'results'
// when a search form was submitted, so the page moves focus to its results instead.
export function navigate(to, { replace: replaceState = false, state: entry = {}, focus = null } = {}) {
  // The API docs and problem pages are documents of their own, not views of this app.
  if (/^\/(docs|api)(\/|$|\?|#)/.test(to)) {
    if (replaceState) location.replace(to);
    else location.assign(to);
    return;
  }
  if (replaceState) history.replaceState(entry, '', to);
  else history.pushState(entry, '', to);
  render({ focus });
}

function renderNav() {
  const nav = document.getElementById('nav');
  const { signedIn, account: who } = currentSession();
  const here = location.pathname;
  const items = signedIn
    ? links.filter((l) => !l.scope || can(l.scope)).map((l) =>
      h('a', { href: l.href, 'aria-current': here.startsWith(l.href) ? 'page' : null }, l.label))
    : [
      h('a', { href: '/signin', 'aria-current': here === '/signin' ? 'page' : null }, 'Sign in'),
      h('a', { href: '/register', 'aria-current': here === '/register' ? 'page' : null }, 'Register'),
    ];
  items.push(h('a', { href: '/docs', 'data-native': '' }, 'API docs'));
  if (signedIn) {
    items.push(h('button', {
      type: 'button',
      class: 'link-button',
      title: who ? `Signed in as ${who.email}` : null,
      on: {
        click: async () => {
          await signOut();
          // In place of the page signed out from (which signing out already turned into
          // /signin?next=...): a pushed entry would leave that second sign-in page behind this
          // one, where Back would land.
          navigate('/signin', { replace: true });
        },
      },
    }, 'Sign out'));
  }
  replace(nav, items);
}

async function render({ focus = null } = {}) {
  const id = ++renderId;
  if (cleanup) {
    try {
      cleanup();
    } catch {
      // a page's cleanup must not stop navigation
    }
    cleanup = null;
  }
  document.body.classList.remove('menu-open');
  const toggle = document.querySelector('.menu-toggle');
  toggle.setAttribute('aria-expanded', 'false');
  renderNav();
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const { signedIn, account: who } = currentSession();
  // A draft kept when the session ended is taken by the first page drawn while signed in,
  // whichever it is ("Not allowed" and "Page not found" too): it never outlives that page.
  const draft = signedIn ? takeDraft(who?.id) : null;
  if (path === '/') {
    navigate(signedIn ? '/books' : '/signin', { replace: true });
    return;
  }
  const route = routes.find((r) => r.path.test(path));
  if (!route) {
    notFound(main, `There is no page at ${path}.`);
    document.title = 'Not found · Folio';
    main.focus({ preventScroll: true });
    return;
  }
  if (!route.public && !signedIn) {
    navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    return;
  }
  if (route.public && signedIn) {
    navigate('/books', { replace: true });
    return;
  }
  if (route.scope && !can(route.scope)) {
    replace(main, h('h1', {}, 'Not allowed'), state('error', 'Your account does not have access to this page.'));
    document.title = 'Not allowed · Folio';
    main.focus({ preventScroll: true });
    return;
  }
  const params = path.match(route.path).slice(1).map(decodeURIComponent);
  const ctx = {
    params,
    query: new URLSearchParams(location.search),
    // How this page was reached: `focus: 'results'` after a search (see navigate).
    intent: { focus },
    navigate,
    isCurrent: () => id === renderId,
    onLeave: (fn) => {
      cleanup = fn;
    },
  };
  replace(main, state('loading', 'Loading…'));
  try {
    await route.page.render(main, ctx);
  } catch (error) {
    if (id !== renderId) return;
    replace(main, h('h1', {}, 'Something went wrong'), errorBox(error));
  }
  if (id !== renderId) return;
  // Input kept when the session ended goes back into this page (same page, same account).
  if (draft && currentSession().signedIn) {
    const form = applyDraft(main, draft);
    if (form) {
      form.before(h('p', { class: 'state success', role: 'status' },
        'What you typed before your session ended has been filled in again. It is not saved yet: check it, then save.'));
    }
  }
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} · Folio` : 'Folio';
  // Move focus to the new page for keyboard and screen-reader users, without scrolling jumps
  // (unless the page moved it itself: the sign-in form, a catalogue's results after a search).
  if (ctx.focus !== false) main.focus({ preventScroll: true });
}

// Same-origin links navigate inside the app, except those marked data-native (/docs, downloads).
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download') || link.hasAttribute('data-native')) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/docs')) return;
  event.preventDefault();
  if (url.hash && url.pathname === location.pathname && url.search === location.search) {
    // A link within this page (the skip link): move focus there, and leave the page, its input
    // and the history as they are.
    const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
    if (target) {
      target.focus();
      target.scrollIntoView({ block: 'start' });
    }
    return;
  }
  navigate(url.pathname + url.search + url.hash);
});

addEventListener('popstate', () => render());

// Shown again from the back/forward cache (Back after an address typed, or after the API docs):
// the tab may have moved on meanwhile. Another page of it may have spent this page's refresh
// token (rotation: presented again it would look stolen, and the API would end the session
// everywhere), signed out, or signed in as someone else; and what this page shows may belong to
// a session that has ended. So it is hidden at once and the page loaded afresh, which takes up
// the tab's hand-over as any new page does. (Not resumed in place: the page that was left writes
// its hand-over as it goes, from another renderer process, and this one could read the storage
// before that write arrives.)
addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  renderId += 1;
  releaseHeldSession();
  replace(document.getElementById('nav'));
  replace(main, state('loading', 'Loading…'));
  location.reload();
});

document.querySelector('.menu-toggle').addEventListener('click', (event) => {
  const open = document.body.classList.toggle('menu-open');
  event.currentTarget.setAttribute('aria-expanded', String(open));
});
document.querySelector('.menu-toggle').hidden = false;
// Escape closes the phone menu, as it closes a dialog, and gives focus back to its button.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || !document.body.classList.contains('menu-open')) return;
  const toggle = document.querySelector('.menu-toggle');
  document.body.classList.remove('menu-open');
  toggle.setAttribute('aria-expanded', 'false');
  toggle.focus();
});

onSessionChange(({ signedIn, ended, account: who }) => {
  renderNav();
  // Signed in: only this account's draft may wait for its page. Signed out by the user (or the
  // account deleted), not by the API: nothing typed is kept.
  if (signedIn) keepDraftOnlyFor(who?.id);
  else if (!ended) dropDraft();
  // Signed out elsewhere (expired or revoked session): back to the sign-in page, which says
  // why; what the user had typed is kept for after they sign in again (drafts.js).
  if (!signedIn && !routes.some((r) => r.public && r.path.test(location.pathname))) {
    const draftKept = ended ? keepDraft(main, ended.account, ended.email) : false;
    navigate(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`,
      { replace: true, state: ended ? { sessionEnded: true, draftKept } : {} });
  }
});

restore().finally(render);
