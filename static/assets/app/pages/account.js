// The account: who is signed in, the live sessions, signing out here or elsewhere.

import { request, signOut } from '../api.js';
import { busy, confirmDialog, errorBox, formatTime, h, replace, state, toast } from '../dom.js';

export async function render(main, { navigate, isCurrent }) {
  const profile = h('section', { class: 'card' }, state('loading', 'Loading your account…'));
  const sessions = h('section', { class: 'card', 'aria-live': 'polite' }, state('loading', 'Loading your sessions…'));
  const signOutButton = h('button', { type: 'button' }, 'Sign out');
  signOutButton.addEventListener('click', () => busy(signOutButton, async () => {
    await signOut();
    navigate('/signin', { replace: true });
  }));
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Account'), signOutButton), profile, sessions);

  async function loadProfile() {
    try {
      const { data } = await request('GET', '/api/auth/me');
      if (!isCurrent()) return;
      const a = data.account || {};
      const claims = data.claims || {};
      const rows = [
        ['E-mail', a.email],
        ['Name', a.name || '—'],
        ['Role', a.role || claims.role],
        ['Permissions', String(claims.scope || '').split(' ').join(', ')],
        ['Account created', formatTime(a.created_at)],
        ['This access token expires', claims.exp ? formatTime(claims.exp * 1000) : '—'],
      ];
      replace(profile, h('h2', {}, 'You'), h('dl', { class: 'details' }, rows.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v || '—')))));
    } catch (error) {
      if (isCurrent()) replace(profile, h('h2', {}, 'You'), errorBox(error, 'Your account could not be loaded'));
    }
  }

  async function revoke(id) {
    await request('DELETE', `/api/auth/sessions/${encodeURIComponent(id)}`);
  }

  async function loadSessions() {
    let items;
    try {
      items = (await request('GET', '/api/auth/sessions')).data.items || [];
    } catch (error) {
      if (isCurrent()) replace(sessions, h('h2', {}, 'Sessions'), errorBox(error, 'Your sessions could not be loaded'));
      return;
    }
    if (!isCurrent()) return;
    const others = items.filter((s) => !s.current);
    const othersButton = h('button', { type: 'button', class: 'danger', disabled: !others.length }, 'Sign out all other sessions');
    othersButton.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: 'Sign out everywhere else?',
        message: `${others.length} other session${others.length === 1 ? '' : 's'} will be signed out at once. This one stays signed in.`,
        confirmLabel: 'Sign them out',
        danger: true,
      });
      if (!ok) return;
      await busy(othersButton, async () => {
        const failed = [];
        for (const s of others) {
          try {
            await revoke(s.id);
          } catch (error) {
            if (error.status !== 404) failed.push(error);
          }
        }
        if (failed.length) sessions.prepend(errorBox(failed[0], `${failed.length} session(s) could not be signed out`));
        else toast('Signed out all other sessions.');
        await loadSessions();
      });
    });
    const rows = items.map((s) => {
      const action = s.current
        ? h('span', { class: 'badge' }, 'This session')
        : h('button', {
          type: 'button',
          class: 'link-button danger',
          on: {
            click: (event) => busy(event.currentTarget, async () => {
              try {
                await revoke(s.id);
                toast('Signed out that session.');
              } catch (error) {
                if (error.status !== 404) {
                  sessions.prepend(errorBox(error, 'That session could not be signed out'));
                  return;
                }
              }
              await loadSessions();
            }),
          },
        }, 'Sign out');
      return h('tr', { class: s.current ? 'current' : null },
        h('td', {}, formatTime(s.created_at)),
        h('td', {}, formatTime(s.last_used_at)),
        h('td', { class: 'hide-narrow' }, formatTime(s.expires_at)),
        h('td', {}, action));
    });
    replace(sessions,
      h('div', { class: 'report-head' }, h('h2', {}, 'Sessions'), othersButton),
      items.length ? h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Signed in'),
          h('th', { scope: 'col' }, 'Last used'),
          h('th', { scope: 'col', class: 'hide-narrow' }, 'Expires'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', {}, rows))) : state('empty', 'No live sessions.'));
  }

  await Promise.all([loadProfile(), loadSessions()]);
}
