// A flag's on/off switch: a button with role="switch", aria-checked, and the flag's name as its
// accessible name. One click (or Space, or Enter) writes the new status; the toast offers Undo.

import { call, flagPath } from './api.js';
import { h, keepFocus, toast } from './dom.js';
import { store } from './store.js';

async function setStatus(name, status) {
  const stored = await call('PUT', flagPath(name), { status });
  store.putFlag(stored);
  return stored;
}

/** The switch of `flag`; `changed()` is called after each write it makes. */
export function flagSwitch(flag, changed, focusKey) {
  const button = h('button', {
    type: 'button',
    role: 'switch',
    class: 'switch',
    'aria-checked': String(flag.status),
    'aria-label': flag.name,
    'data-focus-key': focusKey || `switch:${flag.id}`,
    title: store.writable ? `Turn ${flag.status ? 'off' : 'on'}` : 'Read only (relay)',
    disabled: !store.writable,
  }, h('span', { class: 'knob', 'aria-hidden': 'true' }));
  let pending = false;
  button.addEventListener('click', async () => {
    // Busy, not disabled, while the write runs: a disabled button would lose the focus.
    if (pending) return;
    pending = true;
    button.setAttribute('aria-busy', 'true');
    const status = button.getAttribute('aria-checked') !== 'true';
    try {
      await setStatus(flag.name, status);
      button.setAttribute('aria-checked', String(status));
      keepFocus(changed);
      toast(`“${flag.name}” is now ${status ? 'on' : 'off'}.`, {
        label: 'Undo',
        run: async () => {
          try {
            await setStatus(flag.name, !status);
            keepFocus(changed);
            toast(`“${flag.name}” is ${status ? 'off' : 'on'} again.`);
          } catch (err) {
            toast(`Undo failed: ${err.message}`);
          }
        },
      });
    } catch (err) {
      toast(`Could not turn “${flag.name}” ${status ? 'on' : 'off'}: ${err.message}`);
    } finally {
      pending = false;
      button.removeAttribute('aria-busy');
    }
  });
  return button;
}
