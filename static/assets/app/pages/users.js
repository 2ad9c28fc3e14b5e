// Users (admin only): roles, disabling and setting a password, each of which ends the account's
// sessions (the API does that), so the page asks for a confirmation that says so first; and the
// service: its counts and settings in effect (GET /api/status) and the signing key's rotation.

import { currentSession, request } from '../api.js';
import {
  busy, confirmDialog, errorBox, field, formatNumber, formatTime, h, modal, replace, showFieldErrors, state, toast,
} from '../dom.js';

const ROLES = ['reader', 'editor', 'admin'];
const article = (word) => (/^[aeiou]/.test(word) ? 'an' : 'a');

/**
 * Sets another account's password (POST /api/auth/users/{id}/password): for someone locked out or
 * whose password leaked. A dialog with the one field; the API's refusals are shown at it.
 */
function setPasswordDialog(user) {
  return modal(`Set a password for ${user.email}`, (close) => {
    const input = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true, minlength: 10, maxlength: 1024 });
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const submit = h('button', { type: 'submit' }, 'Set password');
    const note = h('div', { class: 'form-message' });
    const form = h('form', { novalidate: true },
      field('New password', input, 'At least 10 characters. Tell them by a safe channel; they can change it on their Account page.'),
      note,
      h('div', { class: 'actions' }, cancel, submit));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      replace(note);
      showFieldErrors(form, []);
      busy(submit, async () => {
        try {
          await request('POST', `/api/auth/users/${encodeURIComponent(user.id)}/password`, { body: { new_password: input.value } });
          close(true);
        } catch (error) {
          replace(note, errorBox(error, 'The password was not set'));
          showFieldErrors(form, error.fieldErrors);
        }
      });
    });
    const warning = h('p', {}, 'They will be signed out everywhere at once, and a lock after failed sign-ins is lifted.');
    return { content: [warning, form], cancel, focus: input };
  });
}

/** The service: counts, the settings in effect, and the signing key's rotation. */
function serviceSection(isCurrent) {
  const body = h('div', {}, state('loading', 'Loading the service’s status…'));
  const rotate = h('button', { type: 'button', class: 'secondary' }, 'Rotate signing key');
  const note = h('div', { class: 'form-message' });
  const section = h('section', { class: 'card', 'aria-labelledby': 'service-title' },
    h('h2', { id: 'service-title' }, 'Service'), body, note, h('div', { class: 'actions' }, rotate));
  async function load() {
    try {
      const { data } = await request('GET', '/api/status');
      if (!isCurrent()) return;
      const settings = data.settings || {};
      const item = (label, value) => h('div', {}, h('dt', {}, label), h('dd', {}, value));
      replace(body,
        h('dl', { class: 'stats compact' },
          item('Accounts', formatNumber(data.accounts)),
          item('Live sessions', formatNumber(data.live_sessions)),
          item('Books', formatNumber(data.books)),
          item('Generator runs', formatNumber(data.generator_runs)),
          item('Schema version', String(data.schema_version)),
          item('Version', String(data.version))),
        h('details', {},
          h('summary', {}, 'Settings in effect'),
          h('dl', { class: 'settings' }, Object.entries(settings).map(([name, value]) =>
            h('div', {}, h('dt', {}, name), h('dd', {}, value === '' ? '(empty)' : String(value)))))));
    } catch (error) {
      if (isCurrent()) replace(body, errorBox(error, 'The status could not be loaded'));
    }
  }
  rotate.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Rotate the signing key?',
      message: 'New access tokens are signed with the next key at once. Tokens already issued stay valid until they expire, and the key set keeps their keys until then, so nobody is signed out.',
      confirmLabel: 'Rotate',
    });
    rotate.focus();
    if (!ok) return;
    replace(note);
    await busy(rotate, async () => {
      try {
        const { data } = await request('POST', '/api/auth/keys/rotate');
        toast(`New tokens are signed with key ${data.kid}.`);
      } catch (error) {
        replace(note, errorBox(error, 'The key was not rotated'));
      }
    });
  });
  load();
  return section;
}

export async function render(main, { isCurrent }) {
  const list = h('section', { 'aria-labelledby': 'accounts-title' }, state('loading', 'Loading accounts…'));
  const message = h('div', { class: 'form-message' });
  replace(main, h('h1', {}, 'Users'), serviceSection(isCurrent), h('h2', { id: 'accounts-title' }, 'Accounts'), message, list);
  const cursors = [];

  async function patch(user, body) {
    const { data } = await request('PATCH', `/api/auth/users/${encodeURIComponent(user.id)}`, { body });
    return data;
  }

  async function load(cursor) {
    replace(list, state('loading', 'Loading accounts…'));
    let page;
    try {
      page = (await request('GET', '/api/auth/users', { query: { cursor } })).data;
    } catch (error) {
      if (isCurrent()) replace(list, errorBox(error, 'The accounts could not be loaded'));
      return;
    }
    if (!isCurrent()) return;
    const items = page.items || [];
    if (!items.length) {
      replace(list, state('empty', 'No accounts.'));
      return;
    }
    const me = currentSession().account;
    const rows = items.map((user) => {
      const self = me && me.id === user.id;
      // Choosing a role changes nothing by itself (arrow keys on a closed select fire
      // `change`): "Change role" applies it after a confirmation, since the account's sessions
      // end. Focus stays on the select throughout.
      const role = h('select', { 'aria-label': `Role of ${user.email}`, disabled: self },
        ROLES.map((r) => h('option', { value: r, selected: user.role === r }, r)));
      const apply = h('button', { type: 'button', class: 'secondary small', disabled: true, 'aria-label': `Change role for ${user.email}` }, 'Change role');
      const pending = () => {
        apply.disabled = self || role.value === user.role;
      };
      role.addEventListener('change', pending);
      role.addEventListener('input', pending);
      apply.addEventListener('click', async () => {
        const chosen = role.value;
        if (chosen === user.role) return;
        const ok = await confirmDialog({
          title: `Make ${user.email} ${article(chosen)} ${chosen}?`,
          message: `Their role changes from ${user.role} to ${chosen}. They will be signed out everywhere at once and must sign in again.`,
          confirmLabel: 'Change role',
        });
        if (!ok) {
          role.value = user.role;
          pending();
          role.focus();
          return;
        }
        replace(message);
        apply.disabled = true;
        role.focus();
        try {
          Object.assign(user, await patch(user, { role: chosen }));
          toast(`${user.email} is now ${user.role}.`);
        } catch (error) {
          replace(message, errorBox(error, 'The role was not changed'));
        } finally {
          role.value = user.role;
          pending();
        }
      });
      const toggle = h('button', {
        type: 'button', class: user.disabled ? 'secondary small' : 'danger small', disabled: self, dataset: { toggle: user.id },
        'aria-label': `${user.disabled ? 'Enable' : 'Disable'} ${user.email}`,
      }, user.disabled ? 'Enable' : 'Disable');
      // An administrator changes their own password on the Account page (it asks for the current one).
      const password = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Set a password for ${user.email}` }, 'Set password');
      password.hidden = self;
      password.addEventListener('click', async () => {
        replace(message);
        if (await setPasswordDialog(user)) toast(`The password of ${user.email} is set; they were signed out everywhere.`);
        password.focus();
      });
      toggle.addEventListener('click', async () => {
        const disabling = !user.disabled;
        if (disabling) {
          const ok = await confirmDialog({
            title: `Disable ${user.email}?`,
            message: 'They will be signed out everywhere at once and cannot sign in until enabled again.',
            confirmLabel: 'Disable',
            danger: true,
          });
          if (!ok) return;
        }
        replace(message);
        try {
          Object.assign(user, await patch(user, { disabled: disabling }));
          toast(`${user.email} is ${user.disabled ? 'disabled' : 'enabled'}.`);
          await load(cursor);
          // The list was drawn again: keep keyboard focus on this account's button.
          const again = list.querySelector(`[data-toggle="${CSS.escape(user.id)}"]`);
          if (again) again.focus();
        } catch (error) {
          replace(message, errorBox(error, 'The account was not changed'));
        }
      });
      return h('tr', {},
        h('td', { class: 'wrap' }, user.email, self ? h('span', { class: 'badge' }, 'you') : null),
        h('td', { class: 'hide-narrow wrap' }, user.name || '—'),
        h('td', {}, h('div', { class: 'role-control' }, role, apply)),
        h('td', {}, user.disabled ? 'Disabled' : 'Active'),
        h('td', { class: 'hide-narrow' }, formatTime(user.created_at)),
        h('td', {}, h('div', { class: 'row-actions' }, toggle, password)));
    });
    const prev = h('button', { type: 'button', class: 'secondary', disabled: !cursors.length }, '← Previous');
    prev.addEventListener('click', () => load(cursors.pop() || undefined));
    const next = h('button', { type: 'button', class: 'secondary', disabled: !page.next_cursor }, 'Next →');
    next.addEventListener('click', () => {
      cursors.push(cursor || '');
      load(page.next_cursor);
    });
    replace(list,
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['E-mail', 'Name', 'Role', 'Status', 'Created', null].map((t, i) =>
          h('th', { scope: 'col', class: i === 1 || i === 4 ? 'hide-narrow' : null }, t ?? h('span', { class: 'visually-hidden' }, 'Actions'))))),
        h('tbody', {}, rows))),
      h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, next));
  }

  await load();
}
