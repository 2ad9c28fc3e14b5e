// The account: who is signed in, the profile, a new password, the live sessions, leaving.

import { WRONG_PASSWORD, dropSession, request, signOut } from '../api.js';
import { busy, confirmDialog, errorBox, field, formatTime, h, replace, showActionError, showFieldErrors, state, toast } from '../dom.js';
import { markClean, versioned } from '../drafts.js';

/** The profile's form controls, named as the API names the fields, so its errors land on them. */
function profileControls(account) {
  const p = account.profile || {};
  const a = p.address || {};
  const input = (name, value, attrs = {}) => h('input', { name, value: value ?? '', ...attrs });
  return {
    name: input('name', account.name, { maxlength: 200, autocomplete: 'name' }),
    title: input('profile.title', p.title, { maxlength: 50, autocomplete: 'honorific-prefix' }),
    first: input('profile.first_name', p.first_name, { maxlength: 100, autocomplete: 'given-name' }),
    last: input('profile.last_name', p.last_name, { maxlength: 100, autocomplete: 'family-name' }),
    mobile: input('profile.mobile_number', p.mobile_number, { type: 'tel', autocomplete: 'tel', placeholder: '+44 7700 900123' }),
    lines: h('textarea', { name: 'profile.address.lines', rows: 3, autocomplete: 'street-address' }, (a.lines || []).join('\n')),
    city: input('profile.address.city', a.city, { maxlength: 100, autocomplete: 'address-level2' }),
    postal: input('profile.address.postal_code', a.postal_code, { maxlength: 20, autocomplete: 'postal-code', size: 10 }),
    country: input('profile.address.country', a.country, { maxlength: 2, size: 3, autocomplete: 'country' }),
  };
}

/** The form as a merge patch: every field named, an empty one as null (which removes it). */
function profilePatch(c) {
  const text = (el) => (el.value.trim() === '' ? null : el.value.trim());
  const lines = c.lines.value.split('\n').map((l) => l.trim()).filter(Boolean);
  const address = { lines, city: text(c.city), postal_code: text(c.postal), country: text(c.country) };
  const empty = !lines.length && !address.city && !address.postal_code && !address.country;
  return {
    name: text(c.name),
    profile: {
      title: text(c.title),
      first_name: text(c.first),
      last_name: text(c.last),
      mobile_number: text(c.mobile),
      address: empty ? null : address,
    },
  };
}

/** Field errors as the form names them: a line's error (`...lines[1]`) goes to the lines box. */
function formErrors(fieldErrors) {
  return fieldErrors.map((e) => {
    const line = /^(.*)\[(\d+)\]$/.exec(e.field);
    return line ? { field: line[1], message: `line ${Number(line[2]) + 1}: ${e.message}` } : e;
  });
}

/** `value` as JSON with its object keys sorted: equal data, equal text. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The version of the profile as stored: accounts have no ETag, and `updated_at` also moves for a
 * new role or password (a role change is a usual reason for a session to end), so a hash of the
 * fields this form edits. A hash, not the values: the draft holds only what the user typed.
 */
function profileVersion(account) {
  const text = canonical({ name: account.name ?? null, profile: account.profile ?? null });
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `p-${(h2 >>> 0).toString(16).padStart(8, '0')}${(h1 >>> 0).toString(16).padStart(8, '0')}`;
}

/** The profile form; `onSaved` receives the account as stored after a successful save. */
function profileSection(account, onSaved) {
  const c = profileControls(account);
  const message = h('div', { class: 'form-message' });
  const save = h('button', { type: 'submit' }, 'Save profile');
  const form = h('form', { class: 'card profile-form', novalidate: true, 'aria-labelledby': 'profile-title' },
    h('h2', { id: 'profile-title' }, 'Profile'),
    field('Name', c.name),
    field('Title', c.title, 'For example Dr or Prof.'),
    field('First name', c.first),
    field('Last name', c.last),
    field('Mobile number', c.mobile, 'International format with the country code, e.g. +44 7700 900123.'),
    field('Address', c.lines, 'Street and number; up to four lines.'),
    field('City', c.city),
    field('Postal code', c.postal),
    field('Country', c.country, 'Two-letter code, e.g. GB, DE or US.'),
    message,
    h('div', { class: 'actions' }, save));
  // A draft typed before the session ended, onto a profile saved since (another device, an
  // admin): the API has no version to refuse a stale save with, so the page says it.
  const version = profileVersion(account);
  versioned(form, () => version, (kept) => {
    if (kept === version) return;
    replace(message, h('p', { class: 'state error', role: 'alert' },
      'Your profile was changed after you typed this (on another device or in another tab). '
      + 'The fields you typed are filled in over what is stored now, and saving replaces it: check every field before you save.'));
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replace(message);
    showFieldErrors(form, []);
    return busy(save, async () => {
      try {
        const { data } = await request('PATCH', '/api/auth/me', {
          body: profilePatch(c),
          contentType: 'application/merge-patch+json',
        });
        markClean(form);
        toast('Profile saved.');
        onSaved(data);
      } catch (error) {
        replace(message, errorBox(error, 'The profile was not saved'));
        showFieldErrors(form, formErrors(error.fieldErrors));
      }
    });
  });
  return form;
}

/**
 * A refused request of a form that asks for the password again: a wrong password is said at
 * its field (`wrong`), anything else above the buttons with its field errors.
 */
function showFailure(form, message, error, wrong, intro) {
  if (error.problem.type === WRONG_PASSWORD) {
    showFieldErrors(form, [wrong]);
    return;
  }
  replace(message, errorBox(error, intro));
  showFieldErrors(form, error.fieldErrors);
}

function passwordSection(onChanged) {
  const current = h('input', { name: 'current_password', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
  const message = h('div', { class: 'form-message' });
  const submit = h('button', { type: 'submit' }, 'Change password');
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'password-title' },
    h('h2', { id: 'password-title' }, 'Password'),
    field('Current password', current),
    field('New password', next, 'At least 10 characters. Your other sessions will be signed out.'),
    message,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    replace(message);
    showFieldErrors(form, []);
    return busy(submit, async () => {
      try {
        await request('POST', '/api/auth/password', {
          body: { current_password: current.value, new_password: next.value },
        });
        current.value = '';
        next.value = '';
        toast('Password changed. Your other sessions were signed out.');
        await onChanged();
      } catch (error) {
        showFailure(form, message, error, { field: 'current_password', message: 'The current password is wrong.' }, 'The password was not changed');
      }
    });
  });
  return form;
}

function leaveSection(navigate) {
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', { class: 'form-message' });
  const submit = h('button', { type: 'submit', class: 'danger' }, 'Delete my account');
  const form = h('form', { class: 'card narrow danger-zone', novalidate: true, 'aria-labelledby': 'leave-title' },
    h('h2', { id: 'leave-title' }, 'Leave Folio'),
    h('p', {}, 'Your account and every session end at once. The books you added stay in the catalogue.'),
    field('Your password', password),
    message,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(message);
    showFieldErrors(form, []);
    // Asked before the dialog and before any request: an empty password cannot be right, and
    // every wrong one counts toward the sign-in throttle.
    if (!password.value) {
      showFieldErrors(form, [{ field: 'password', message: 'Enter your password to delete your account.' }]);
      return;
    }
    const ok = await confirmDialog({
      title: 'Delete your account?',
      message: 'This cannot be undone. You will be signed out everywhere.',
      confirmLabel: 'Delete it',
      danger: true,
    });
    if (!ok) return;
    await busy(submit, async () => {
      try {
        await request('DELETE', '/api/auth/me', { body: { password: password.value } });
        dropSession();
        navigate('/signin?deleted=1', { replace: true });
      } catch (error) {
        showFailure(form, message, error, { field: 'password', message: 'The password is wrong.' }, 'The account was not deleted');
      }
    });
  });
  return form;
}

export async function render(main, { navigate, isCurrent }) {
  const overview = h('section', { class: 'card' }, state('loading', 'Loading your account…'));
  const profile = h('div', {}, state('loading', 'Loading your profile…'));
  const sessions = h('section', { class: 'card' }, state('loading', 'Loading your sessions…'));
  const signOutButton = h('button', { type: 'button' }, 'Sign out');
  signOutButton.addEventListener('click', () => busy(signOutButton, async () => {
    await signOut();
    navigate('/signin', { replace: true });
  }));
  replace(main, h('div', { class: 'page-head' }, h('h1', {}, 'Account'), signOutButton),
    overview, profile, sessions, passwordSection(() => loadSessions()), leaveSection(navigate));

  function show(a, claims) {
    const rows = [
      ['E-mail', a.email],
      ['Name', a.name || '—'],
      ['Role', a.role || claims.role],
      ['Permissions', String(claims.scope || '').split(' ').join(', ')],
      // (Not the access token's expiry: it is refreshed in the background, and the time shown
      // went stale; the sessions below say until when each sign-in lasts.)
      ['Account created', formatTime(a.created_at)],
    ];
    replace(overview, h('h2', {}, 'You'), h('dl', { class: 'details' }, rows.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v || '—')))));
    replace(profile, profileSection(a, (saved) => show(saved, claims)));
  }

  async function loadAccount() {
    try {
      const { data } = await request('GET', '/api/auth/me');
      if (!isCurrent()) return;
      show(data.account || {}, data.claims || {});
    } catch (error) {
      if (!isCurrent()) return;
      replace(overview, h('h2', {}, 'You'), errorBox(error, 'Your account could not be loaded'));
      replace(profile);
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
        if (failed.length) showActionError(sessions, failed[0], `${failed.length} session(s) could not be signed out`);
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
                  showActionError(sessions, error, 'That session could not be signed out');
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

  await Promise.all([loadAccount(), loadSessions()]);
}
