// Users (admin only): roles and disabling. Disabling revokes the account's sessions (the API
// does that); the page says so before it happens.

import { currentSession, request } from '../api.js';
import { confirmDialog, errorBox, formatTime, h, replace, state, toast } from '../dom.js';

const ROLES = ['reader', 'editor', 'admin'];

export async function render(main, { isCurrent }) {
  const list = h('section', { 'aria-live': 'polite' }, state('loading', 'Loading accounts…'));
  const message = h('div', { class: 'form-message' });
  replace(main, h('h1', {}, 'Users'), message, list);
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
      const role = h('select', { 'aria-label': `Role of ${user.email}`, disabled: self }, ROLES.map((r) => h('option', { value: r, selected: user.role === r }, r)));
      role.addEventListener('change', async () => {
        replace(message);
        role.disabled = true;
        try {
          Object.assign(user, await patch(user, { role: role.value }));
          toast(`${user.email} is now ${user.role}.`);
        } catch (error) {
          role.value = user.role;
          replace(message, errorBox(error, 'The role was not changed'));
        } finally {
          role.disabled = false;
        }
      });
      const toggle = h('button', { type: 'button', class: user.disabled ? 'secondary small' : 'danger small', disabled: self }, user.disabled ? 'Enable' : 'Disable');
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
        } catch (error) {
          replace(message, errorBox(error, 'The account was not changed'));
        }
      });
      return h('tr', {},
        h('td', {}, user.email, self ? h('span', { class: 'badge' }, 'you') : null),
        h('td', { class: 'hide-narrow' }, user.name || '—'),
        h('td', {}, role),
        h('td', {}, user.disabled ? 'Disabled' : 'Active'),
        h('td', { class: 'hide-narrow' }, formatTime(user.created_at)),
        h('td', {}, toggle));
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
        h('thead', {}, h('tr', {}, ['E-mail', 'Name', 'Role', 'Status', 'Created', ''].map((t, i) =>
          h('th', { scope: 'col', class: i === 1 || i === 4 ? 'hide-narrow' : null }, t)))),
        h('tbody', {}, rows))),
      h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, next));
  }

  await load();
}
