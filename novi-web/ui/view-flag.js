// One flag: its status, its activations shown by class, link and unlink, rename, delete (with
// confirmation); and the form that creates a flag (off, unless asked otherwise).

import { ApiError, call, flagPath } from './api.js';
import { confirmDialog, field, h, replace, showFieldError, toast } from './dom.js';
import { classOf, describeConfig } from './render.js';
import { store } from './store.js';
import { flagSwitch } from './switch.js';

export function mount(main, { name }, { navigate }) {
  let flagId = null;
  let renameInput = null;

  function render() {
    const flag = store.flag(name) || (flagId !== null && store.flags.find((f) => f.id === flagId));
    if (!flag) {
      replace(main,
        h('h1', null, 'No such flag'),
        h('p', null, 'There is no flag named ', h('code', null, name), ' (it may have been renamed or deleted).'),
        h('p', null, h('a', { href: '#/flags' }, 'All flags')));
      return;
    }
    if (flag.name !== name) {
      // Renamed (here or elsewhere): follow it.
      name = flag.name;
      history.replaceState(null, '', `#/flags/${encodeURIComponent(name)}`);
    }
    flagId = flag.id;
    const keepRename = renameInput && document.activeElement === renameInput ? renameInput.value : null;
    const linked = new Set(flag.activations.map((a) => a.id));
    const broken = store.isBroken(flag);

    const unlink = (id) => async () => {
      try {
        const stored = await call('PUT', flagPath(flag.name), { activations: [...linked].filter((x) => x !== id) });
        store.putFlag(stored);
        render();
        toast(`Unlinked activation #${id} from “${flag.name}”.`, {
          label: 'Undo',
          run: () => call('PUT', flagPath(flag.name), { activations: [...linked] })
            .then((again) => { store.putFlag(again); render(); })
            .catch((err) => toast(`Undo failed: ${err.message}`)),
        });
      } catch (err) {
        toast(`Could not unlink: ${err.message}`);
      }
    };

    const cards = flag.activations.map((a) => {
      const stored = store.byId.get(a.id) || a;
      return h('li', { class: 'card activation' },
        h('div', { class: 'title' },
          h('h3', null, stored.name, ' ', h('span', { class: 'tag' }, classOf(stored.class_name)),
            stored.build_error ? h('span', { class: 'badge bad' }, 'broken') : null),
          h('div', { class: 'actions' },
            h('a', { class: 'button', href: `#/activations/${a.id}` }, 'Edit'),
            store.writable ? h('button', { type: 'button', onclick: unlink(a.id), 'aria-label': `Unlink ${stored.name}` }, 'Unlink') : null)),
        stored.build_error ? h('p', { class: 'field-error' }, stored.build_error) : null,
        describeConfig(stored.class_name, stored.config, store.byId));
    });

    // Link an activation.
    const choices = store.activations.filter((a) => !linked.has(a.id));
    const picker = h('select', { 'data-focus-key': 'link-picker' },
      h('option', { value: '' }, choices.length ? 'Choose an activation…' : 'No other activation'),
      choices.map((a) => h('option', { value: a.id }, `#${a.id} ${a.name} (${classOf(a.class_name)})`)));
    const linkField = field('link-activation', 'Link an activation', picker);
    const linkForm = h('form', { class: 'inline' }, linkField.wrap,
      h('button', { type: 'submit' }, 'Link'),
      h('a', { class: 'button quiet', href: `#/activations/new?flag=${encodeURIComponent(flag.name)}` }, 'New activation'));
    linkForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!picker.value) return showFieldError(linkField, 'Choose an activation to link.');
      try {
        const stored = await call('PUT', flagPath(flag.name), { activations: [...linked, Number(picker.value)] });
        store.putFlag(stored);
        render();
        toast(`Linked activation #${picker.value}.`);
      } catch (err) {
        showFieldError(linkField, err.message);
      }
    });

    // Rename.
    renameInput = h('input', { type: 'text', value: keepRename ?? flag.name, autocomplete: 'off', spellcheck: 'false', 'data-focus-key': 'rename' });
    const renameField = field('rename', 'Name', renameInput);
    const renameForm = h('form', { class: 'inline' }, renameField.wrap, h('button', { type: 'submit' }, 'Rename'));
    renameForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const wanted = renameInput.value;
      if (wanted === flag.name) return;
      try {
        const stored = await call('PUT', flagPath(flag.name), { name: wanted });
        store.putFlag(stored);
        toast(`Renamed to “${stored.name}”.`);
        navigate(`#/flags/${encodeURIComponent(stored.name)}`);
      } catch (err) {
        showFieldError(renameField, err.message);
      }
    });

    const remove = async () => {
      const sure = await confirmDialog({
        title: 'Delete this flag?',
        body: h('p', null, 'The flag ', h('strong', null, flag.name),
          ' will be deleted. Applications asking for it get “off” from now on. Its activations stay. History can restore it.'),
        confirm: 'Delete flag',
        danger: true,
      });
      if (!sure) return;
      try {
        await call('DELETE', flagPath(flag.name));
        store.dropFlag(flag.id);
        toast(`Deleted “${flag.name}”.`);
        navigate('#/flags');
      } catch (err) {
        toast(`Could not delete: ${err.message}`);
      }
    };

    replace(main,
      h('p', { class: 'crumbs' }, h('a', { href: '#/flags' }, 'Flags'), ' / '),
      h('div', { class: 'title' },
        h('h1', null, flag.name),
        flagSwitch(flag, render, 'detail-switch')),
      h('p', { class: 'muted' }, `Flag #${flag.id} · ${flag.status ? 'on when its activations agree' : 'off for everyone'}`,
        broken ? [' · ', h('span', { class: 'bad' }, 'broken: an activation cannot be built, so it evaluates false')] : null),
      h('section', { 'aria-labelledby': 'acts' },
        h('h2', { id: 'acts' }, `Activations (${flag.activations.length})`),
        flag.activations.length
          ? h('ul', { class: 'cards' }, cards)
          : h('p', { class: 'muted' }, 'None: the flag is on for everyone while its status is on.'),
        store.writable ? linkForm : null),
      store.writable ? h('section', { 'aria-labelledby': 'settings' },
        h('h2', { id: 'settings' }, 'Settings'),
        renameForm,
        h('div', { class: 'actions' },
          h('a', { class: 'button', href: `#/history?flag=${flag.id}` }, 'History'),
          h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete flag…'))) : null);
  }

  render();
  return { update: render };
}

export function mountNew(main, _params, { navigate }) {
  const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const nameField = field('flag-name', 'Name', name, 'Unique; applications ask for the flag by this name.');
  const on = h('input', { type: 'checkbox', id: 'flag-on' });
  const form = h('form', { class: 'card narrow', id: 'new-flag' },
    h('h1', null, 'New flag'),
    nameField.wrap,
    h('div', { class: 'field check' }, on, h('label', { for: 'flag-on' }, 'Turn it on now (new flags are created off)')),
    h('div', { class: 'actions' },
      h('a', { class: 'button quiet', href: '#/flags' }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Create flag')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFieldError(nameField, null);
    try {
      const stored = await call('POST', '/flags', { name: name.value, status: on.checked });
      store.putFlag(stored);
      toast(`Created “${stored.name}”.`);
      navigate(`#/flags/${encodeURIComponent(stored.name)}`);
    } catch (err) {
      showFieldError(nameField, err instanceof ApiError ? err.message : String(err));
    }
  });
  replace(main, form);
  name.focus();
}
