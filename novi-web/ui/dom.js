// Building the page. Everything a user or the database wrote (names, configs, payloads,
// messages) goes into text nodes and attribute values, never into markup: a flag named
// `<img src=x onerror=alert(1)>` shows as those characters.

/** An element: `h('button', {class: 'x', onclick: f}, 'text', child, [more])`. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'value') {
      el.value = value;
    } else if (key === 'checked' || key === 'selected') {
      el[key] = Boolean(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends text, nodes and (nested) arrays of them; skips null, undefined and false. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's content. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A short message at the bottom of the page, with an optional action (Undo). */
export function toast(message, action) {
  const box = document.getElementById('toasts');
  const note = h('div', { class: 'toast', role: 'status' }, h('span', null, message));
  const close = () => note.remove();
  if (action) {
    note.append(h('button', {
      type: 'button',
      onclick: () => { close(); action.run(); },
    }, action.label));
  }
  note.append(h('button', { type: 'button', class: 'quiet', 'aria-label': 'Dismiss', onclick: close }, '×'));
  box.append(note);
  // At most three at once: the oldest go first.
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(close, action ? 10000 : 5000);
}

/**
 * Asks before a risky change, in a modal dialog (keyboard: Tab between the buttons, Escape
 * cancels). Resolves to true when confirmed.
 */
export function confirmDialog({ title, body, confirm, danger = false }) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: danger ? 'danger' : 'primary', value: 'ok' }, confirm);
    const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' },
      h('h2', { id: 'dialog-title' }, title),
      append(h('div', { class: 'dialog-body' }), [body]),
      h('div', { class: 'actions' }, cancel, ok));
    const done = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    ok.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** A labelled form field with a place for its error: `{wrap, input, error}`. */
export function field(id, label, input, help) {
  input.id = id;
  const error = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
  const described = [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' ');
  input.setAttribute('aria-describedby', described);
  const wrap = h('div', { class: 'field' },
    h('label', { for: id }, label),
    input,
    help ? h('p', { class: 'help', id: `${id}-help` }, help) : null,
    error);
  return { wrap, input, error };
}

/** Shows `message` as the error of a field made by `field` (or clears it). */
export function showFieldError(f, message) {
  f.error.textContent = message || '';
  f.error.hidden = !message;
  if (message) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

/** `n` with thousands separators. */
export function count(n) {
  return n.toLocaleString('en-US');
}

/**
 * Runs `render`, then gives the focus back to the element that had it, found again by its
 * `data-focus-key` (re-rendering replaces elements: a keyboard user keeps their place).
 */
export function keepFocus(render) {
  const key = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.focusKey : undefined;
  render();
  if (key) {
    const again = document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (again && again !== document.activeElement) again.focus();
  }
}
