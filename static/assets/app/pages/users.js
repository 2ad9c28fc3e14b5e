// Users (admin only): roles and disabling. Both end the account's sessions (the API does that);
// the page asks for a confirmation that says so before either happens.

import { currentSession, request } from '../api.js';
import { confirmDialog, errorBox, formatTime, h, replace, state, toast } from '../dom.js';

const ROLES = ['reader', 'editor', 'admin'];
const article = (word) => (/^[aeiou]/.test(word) ? 'an' : 'a');

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
      const toggle = h('button', { type: 'button', class: user.disabled ? 'secondary small' : 'danger small', disabled: self, dataset: { toggle: user.id } }, user.disabled ? 'Enable' : 'Disable');
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
        h('thead', {}, h('tr', {}, ['E-mail', 'Name', 'Role', 'Status', 'Created', null].map((t, i) =>
          h('th', { scope: 'col', class: i === 1 || i === 4 ? 'hide-narrow' : null }, t ?? h('span', { class: 'visually-hidden' }, 'Actions'))))),
        h('tbody', {}, rows))),
      h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, next));
  }

  await load();
}
