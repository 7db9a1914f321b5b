// The admin UI: plain ES modules over the JSON API, no build step. This module signs in when
// the server needs a token, follows the change stream, and shows the screen the URL's fragment
// names (#/flags, #/flags/NAME, #/new-flag, #/activations, #/activations/ID, #/evaluate,
// #/experiments, #/experiments/ID, #/new-experiment, #/history, #/status).

import { ApiError, get, token } from './api.js';
import { field, h, keepFocus, replace, showFieldError } from './dom.js';
import { follow } from './live.js';
import { store } from './store.js';
import * as activations from './view-activations.js';
import * as evaluate from './view-evaluate.js';
import * as experiments from './view-experiments.js';
import * as flag from './view-flag.js';
import * as flags from './view-flags.js';
import * as history from './view-history.js';
import * as status from './view-status.js';

const main = document.getElementById('main');
let current = null;
let stream = null;
let ready = false;

/** The screen for the fragment: `[section, view mount, params]`. */
function screen() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query));
  switch (parts[0]) {
    case 'flags':
      return parts.length > 1 ? ['flags', flag.mount, { name: parts.slice(1).join('/'), ...params }] : ['flags', flags.mount, params];
    case 'new-flag':
      return ['flags', flag.mountNew, params];
    case 'activations':
      if (parts[1] === 'new') return ['activations', activations.mountEditor, params];
      return parts[1] ? ['activations', activations.mountEditor, { id: Number(parts[1]) }] : ['activations', activations.mountList, params];
    case 'evaluate':
      return ['evaluate', evaluate.mount, params];
    case 'experiments':
      return parts[1] ? ['experiments', experiments.mountResults, { id: Number(parts[1]) }] : ['experiments', experiments.mountList, params];
    case 'new-experiment':
      return ['experiments', experiments.mountNew, params];
    case 'history':
      return ['history', history.mount, params];
    case 'status':
      return ['status', status.mount, params];
    default:
      return null;
  }
}

function show() {
  if (!ready) return;
  const found = screen();
  if (!found) {
    location.replace('#/flags');
    return;
  }
  const [section, mount, params] = found;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (current && current.unmount) current.unmount();
  main.replaceChildren();
  current = mount(main, params, { navigate }) || null;
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} · Novi` : 'Novi';
}

function navigate(hash) {
  if (location.hash === hash) show();
  else location.hash = hash;
}

let loading = null;
let again = false;

/** Reloads the flags and activations (one load at a time), then refreshes the screen. */
async function reload() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      try {
        await store.load();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return signIn();
        banner(`Could not load the flags: ${err.message}`);
      }
    } while (again);
    if (current && current.update) keepFocus(() => current.update());
  })();
  try {
    await loading;
  } finally {
    loading = null;
  }
}

function banner(message) {
  const box = document.getElementById('banner');
  box.hidden = !message;
  box.textContent = message || '';
}

function liveState(state) {
  const el = document.getElementById('live');
  el.textContent = state === 'live' ? 'live' : state;
  el.dataset.state = state;
}

/** Whether the server lets us in: `{ok}`, or why not. `GET /audit` needs the admin token. */
async function probe() {
  try {
    await get('/audit?limit=1');
    return { ok: true, relay: null };
  } catch (err) {
    if (err instanceof ApiError && err.status === 405 && err.body.upstream) {
      return { ok: true, relay: err.body.upstream };
    }
    if (err instanceof ApiError && err.status === 403 && /client token/.test(err.message)) {
      // A client token: it reads and evaluates; changes need the admin token.
      return { ok: true, relay: null, readOnly: true };
    }
    return { ok: false, error: err };
  }
}

function signIn(problem) {
  ready = false;
  if (stream) stream.stop();
  stream = null;
  document.getElementById('sign-out').hidden = true;
  const input = h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  const tokenField = field('token', 'Admin token', input,
    'An admin token, to make changes (a client token only reads). Kept in this browser tab only, never in a URL or a cookie, until you sign out or close the tab.');
  if (problem) showFieldError(tokenField, problem);
  const form = h('form', { class: 'card narrow', id: 'sign-in' },
    h('h1', null, 'Sign in'),
    h('p', null, 'This Novi server needs a token.'),
    tokenField.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    token.set(input.value.trim());
    await start();
  });
  replace(main, form);
  document.title = 'Sign in · Novi';
  input.focus();
}

async function start() {
  const access = await probe();
  if (!access.ok) {
    const err = access.error;
    if (err.status === 401 || err.status === 403) {
      const hadToken = Boolean(token.get());
      token.clear();
      return signIn(hadToken ? err.message : null);
    }
    replace(main, h('div', { class: 'card' },
      h('h1', null, 'The server did not answer'),
      h('p', null, err.message),
      h('button', { type: 'button', class: 'primary', onclick: start }, 'Try again')));
    return;
  }
  store.writable = !access.relay && !access.readOnly;
  store.upstream = access.relay;
  banner(access.relay ? `This server is a relay of ${access.relay}: it serves reads only. Make changes there.`
    : access.readOnly ? 'Signed in with a client token: you can look and evaluate; changes need the admin token.' : null);
  document.getElementById('sign-out').hidden = !token.get();
  try {
    await store.load();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      token.clear();
      return signIn(err.status === 403 ? err.message : null);
    }
    banner(`Could not load the flags: ${err.message}`);
  }
  ready = true;
  if (stream) stream.stop();
  stream = follow(() => reload(), liveState);
  show();
}

document.getElementById('sign-out').addEventListener('click', () => {
  token.clear();
  signIn();
});
window.addEventListener('hashchange', show);
start();
