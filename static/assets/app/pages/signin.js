import { signIn } from '../api.js';
import { busy, errorBox, field, h, replace } from '../dom.js';

/**
 * Where to go after signing in: `next` when it is a page of this origin, else the catalogue. Read
 * as the browser reads a URL, so `/\\host` and `//host` (another origin) and `javascript:` are
 * refused, not only what a prefix test catches.
 */
export function nextPage(next) {
  if (!next || !next.startsWith('/')) return '/books';
  try {
    const url = new URL(next, location.origin);
    if (url.origin === location.origin) return url.pathname + url.search + url.hash;
  } catch {
    // Not a URL: the catalogue.
  }
  return '/books';
}

export async function render(main, ctx) {
  const { query, navigate } = ctx;
  ctx.focus = false;
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const message = h('div', { class: 'form-message' });
  const form = h('form', { class: 'card narrow', novalidate: false },
    field('E-mail', email),
    field('Password', password),
    message,
    h('div', { class: 'actions' }, submit));
  if (query.get('deleted')) {
    message.append(h('p', { class: 'state success', role: 'status' }, 'Your account was deleted and you were signed out everywhere.'));
  }
  if (query.get('registered')) {
    message.append(h('p', { class: 'state success', role: 'status' }, 'Your account is ready. Sign in to continue.'));
    email.value = query.get('registered');
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(message);
    await busy(submit, async () => {
      try {
        await signIn(email.value.trim(), password.value);
        navigate(nextPage(query.get('next')), { replace: true });
      } catch (error) {
        // The token endpoint answers OAuth errors; "invalid_grant" means wrong e-mail or password.
        if (error.problem && error.problem.error === 'invalid_grant') {
          error.message = 'The e-mail or the password is not right.';
        }
        replace(message, errorBox(error));
        password.select();
      }
    });
  });
  replace(main,
    h('h1', {}, 'Sign in'),
    form,
    h('p', { class: 'narrow' }, 'No account yet? ', h('a', { href: '/register' }, 'Register')));
  email.focus();
}
