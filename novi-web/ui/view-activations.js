// Activations: the list, and the editor that creates and changes one. The class picker is fed
// by `GET /activations/classes` (each class, what its config holds, an example); the server's
// answers (bad config, unknown id, a cycle, a change that would break another activation) are
// shown next to the field they concern.

import { ApiError, call, flagPath } from './api.js';
import { confirmDialog, field, h, replace, showFieldError, toast } from './dom.js';
import { classOf, describeConfig } from './render.js';
import { store } from './store.js';

export function mountList(main) {
  function render() {
    replace(main,
      h('div', { class: 'title' },
        h('h1', null, 'Activations'),
        store.writable ? h('a', { class: 'button primary', href: '#/activations/new' }, 'New activation') : null),
      h('p', { class: 'muted' }, `${store.activations.length} activations decide, from a caller's context, whether the flags that link them are on.`),
      h('table', { class: 'list', id: 'activation-table' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col', class: 'num' }, 'Id'),
          h('th', { scope: 'col' }, 'Name'),
          h('th', { scope: 'col' }, 'Class'),
          h('th', { scope: 'col', class: 'hide-narrow' }, 'Used by'))),
        h('tbody', null, store.activations.map((a) => {
          const users = store.usersOf(a.id);
          return h('tr', null,
            h('td', { class: 'num' }, String(a.id)),
            h('td', null, h('a', { href: `#/activations/${a.id}` }, a.name),
              a.build_error ? h('span', { class: 'badge bad', title: a.build_error }, 'broken') : null),
            h('td', null, classOf(a.class_name)),
            h('td', { class: 'muted hide-narrow' }, users.length ? users.slice(0, 5).join(', ') + (users.length > 5 ? ` and ${users.length - 5} more` : '') : '—'));
        }))));
  }
  render();
  return { update: render };
}

export function mountEditor(main, { id, flag }, { navigate }) {
  const creating = id === undefined;
  let original = null;
  let dirty = false;

  const name = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true });
  const cls = h('select', { required: true });
  const config = h('textarea', { rows: 8, spellcheck: 'false', class: 'code' });
  const nameField = field('activation-name', 'Name', name);
  const classField = field('activation-class', 'Class', cls);
  const configField = field('activation-config', 'Config', config, ' ');
  const shape = configField.wrap.querySelector('.help');
  const exampleButton = h('button', { type: 'button', class: 'quiet' }, 'Use the example');
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const fields = { name: nameField, class_name: classField, config: configField };

  function classInfo() {
    return (store.classes || []).find((c) => c.class === cls.value || c.aliases.includes(cls.value));
  }

  function showShape() {
    const info = classInfo();
    replace(shape, info ? ['Holds: ', h('code', null, info.config)] : 'A class this server does not build.');
    exampleButton.hidden = !info;
    replace(preview, describeConfig(cls.value, config.value, store.byId));
  }

  function fill(activation) {
    const classes = store.classes || [];
    const options = classes.map((c) => h('option', { value: c.class }, c.class));
    if (activation && !classes.some((c) => c.class === activation.class_name)) {
      // Stored under an alias (Python Novi's class path): keep it as it is.
      options.unshift(h('option', { value: activation.class_name }, activation.class_name));
    }
    replace(cls, creating ? h('option', { value: '' }, 'Choose a class…') : null, options);
    if (activation) {
      name.value = activation.name;
      cls.value = activation.class_name;
      config.value = activation.config;
    }
    showShape();
  }

  exampleButton.addEventListener('click', () => {
    const info = classInfo();
    if (info) {
      config.value = info.example;
      dirty = true;
      showShape();
      config.focus();
    }
  });
  cls.addEventListener('change', () => {
    dirty = true;
    const info = classInfo();
    if (info && !config.value.trim()) config.value = info.example;
    showShape();
  });
  for (const input of [name, config]) input.addEventListener('input', () => { dirty = true; showShape(); });

  const save = async (event) => {
    event.preventDefault();
    for (const f of Object.values(fields)) showFieldError(f, null);
    const users = creating ? [] : store.usersOf(id);
    if (users.length > 1 || (!creating && original && original.class_name !== cls.value && users.length)) {
      const sure = await confirmDialog({
        title: 'Change a shared activation?',
        body: h('p', null, `This activation decides ${users.length} flag${users.length === 1 ? '' : 's'}: `,
          users.slice(0, 10).join(', '), users.length > 10 ? ` and ${users.length - 10} more` : '', '. Saving changes them all.'),
        confirm: 'Save',
      });
      if (!sure) return;
    }
    const body = { name: name.value, class_name: cls.value, config: config.value };
    try {
      const stored = await call(creating ? 'POST' : 'PUT', creating ? '/activations' : `/activations/${id}`, body);
      dirty = false;
      store.setActivations(await call('GET', '/activations'));
      const owner = creating && flag ? store.flag(flag) : null;
      if (owner) {
        // Made from a flag's page: linked to it at once.
        const linked = await call('PUT', flagPath(owner.name), { activations: [...owner.activations.map((a) => a.id), stored.id] });
        store.putFlag(linked);
        toast(`Created activation #${stored.id} and linked it to “${owner.name}”.`);
        navigate(`#/flags/${encodeURIComponent(owner.name)}`);
        return;
      }
      toast(creating ? `Created activation #${stored.id}.` : `Saved activation #${stored.id}.`);
      navigate(`#/activations/${stored.id}`);
    } catch (err) {
      const target = fields[err instanceof ApiError && err.field] || (err.status === 400 && /name/.test(err.message) ? nameField : configField);
      showFieldError(target, err.message);
      target.input.focus();
    }
  };

  const remove = async () => {
    const users = store.usersOf(id);
    const sure = await confirmDialog({
      title: 'Delete this activation?',
      body: h('p', null, 'Activation ', h('strong', null, name.value), ' will be deleted.',
        users.length ? ` It is linked to ${users.join(', ')}: the server refuses while it is.` : ''),
      confirm: 'Delete activation',
      danger: true,
    });
    if (!sure) return;
    try {
      await call('DELETE', `/activations/${id}`);
      store.setActivations(await call('GET', '/activations'));
      toast(`Deleted activation #${id}.`);
      navigate('#/activations');
    } catch (err) {
      toast(`Could not delete: ${err.message}`);
    }
  };

  const form = h('form', { class: 'card', id: 'activation-form' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/activations' }, 'Activations'), ' / '),
    h('h1', null, creating ? 'New activation' : `Activation #${id}`),
    creating && flag ? h('p', { class: 'muted' }, 'For the flag ', h('strong', null, flag), ': it is linked once created.') : null,
    nameField.wrap, classField.wrap, configField.wrap, exampleButton,
    h('h2', null, 'As it reads'), preview,
    store.writable ? h('div', { class: 'actions' },
      creating ? null : h('a', { class: 'button', href: `#/history?activation=${id}` }, 'History'),
      creating ? null : h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete…'),
      h('button', { type: 'submit', class: 'primary' }, creating ? 'Create activation' : 'Save')) : null);
  form.addEventListener('submit', save);
  replace(main, form);

  (async () => {
    try {
      await store.loadClasses();
    } catch (err) {
      toast(`Could not read the classes: ${err.message}`);
    }
    if (creating) {
      fill(null);
      name.focus();
      return;
    }
    original = store.byId.get(id);
    if (!original) {
      replace(main, h('h1', null, 'No such activation'), h('p', null, h('a', { href: '#/activations' }, 'All activations')));
      return;
    }
    fill(original);
    const users = store.usersOf(id);
    form.insertBefore(h('p', { class: 'muted' }, users.length ? `Linked to: ${users.join(', ')}` : 'Linked to no flag.'), nameField.wrap);
    if (original.build_error) {
      form.insertBefore(h('p', { class: 'field-error' }, `Cannot be built: ${original.build_error}`), nameField.wrap);
    }
  })();

  return {
    update() {
      // Changed elsewhere while open: refresh the form unless the user has edited it.
      const now = store.byId.get(id);
      if (!creating && now && !dirty && original && (now.name !== original.name || now.config !== original.config || now.class_name !== original.class_name)) {
        original = now;
        fill(now);
      }
    },
  };
}
