import { register } from '../api.js';
import { busy, errorBox, field, h, replace, showFieldErrors } from '../dom.js';

export async function render(main, ctx) {
  const { navigate } = ctx;
  ctx.focus = false;
  const name = h('input', { name: 'name', autocomplete: 'name', maxlength: 200 });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
  const submit = h('button', { type: 'submit' }, 'Create account');
  const message = h('div', { class: 'form-message' });
  const form = h('form', { class: 'card narrow' },
    field('Name (optional)', name),
    field('E-mail', email),
    field('Password', password, 'At least 10 characters.'),
    message,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(message);
    await busy(submit, async () => {
      try {
        await register(email.value.trim(), password.value, name.value.trim());
        navigate(`/signin?registered=${encodeURIComponent(email.value.trim())}`);
      } catch (error) {
        if (error.status === 409) error.message = 'An account with this e-mail already exists. Sign in instead.';
        if (error.status === 403) error.message = 'This server does not take new registrations. Ask its administrator for an account.';
        replace(message, errorBox(error));
        showFieldErrors(form, error.fieldErrors);
      }
    });
  });
  replace(main,
    h('h1', {}, 'Register'),
    form,
    h('p', { class: 'narrow' }, 'Already registered? ', h('a', { href: '/signin' }, 'Sign in')));
  email.focus();
}
