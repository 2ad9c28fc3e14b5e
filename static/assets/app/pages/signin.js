import { currentSession, signIn, withStop } from '../api.js';
import { draftEmail, draftPage, hasDraft } from '../drafts.js';
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
  // The API ended the session (main.js): say so, and that what was typed is kept.
  if (history.state && history.state.sessionEnded) {
    message.append(h('p', { class: 'state error', role: 'alert' },
      'Your session has ended. Please sign in again.',
      history.state.draftKept && hasDraft() ? ' What you had typed is kept and will be filled in again after you sign in.' : ''));
  }
  if (query.get('deleted')) {
    message.append(h('p', { class: 'state success', role: 'status' }, 'Your account was deleted and you were signed out everywhere.'));
  }
  if (query.get('registered')) {
    message.append(h('p', { class: 'state success', role: 'status' }, 'Your account is ready. Sign in to continue.'));
    email.value = query.get('registered');
  } else {
    // After the API ended the session: that account's e-mail, from memory (this page's life) or
    // from the draft it left (which names its account, and survives a reload). Nothing else is
    // kept for it.
    email.value = currentSession().ended?.email || draftEmail() || '';
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(message);
    await busy(submit, async () => {
      try {
        await signIn(email.value.trim(), password.value);
        // Without a next= (the user came back here by another way than the ended session's
        // redirect), a draft this account left goes back into its page, as promised.
        const draft = query.get('next') ? null : draftPage(currentSession().account?.id);
        navigate(draft ? nextPage(draft) : nextPage(query.get('next')), { replace: true });
      } catch (error) {
        // The token endpoint answers OAuth errors. "invalid_grant" is a wrong e-mail or password
        // (one answer for both, which names the password) or, only after the right password,
        // something the user must know, such as a disabled account: that is said as the server
        // says it.
        if (error.problem && error.problem.error === 'invalid_grant') {
          const said = String(error.problem.error_description || '');
          error.message = !said || /password|e-?mail/i.test(said)
            ? 'The e-mail or the password is not right.'
            : withStop(said);
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
  // The e-mail known: the keyboard starts at the password.
  (email.value ? password : email).focus();
}
