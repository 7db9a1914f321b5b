// The audit log, of everything or of one flag or activation: each entry's before and after as a
// diff, and a one-click revert (itself an audited write; a conflict is explained).

import { call, get } from './api.js';
import { h, replace, toast } from './dom.js';
import { diff } from './render.js';
import { store } from './store.js';

export function mount(main, params) {
  const filter = params.flag ? `flag=${encodeURIComponent(params.flag)}`
    : params.activation ? `activation=${encodeURIComponent(params.activation)}` : '';
  const list = h('ol', { class: 'entries', id: 'entries' });
  const more = h('button', { type: 'button', hidden: true }, 'Older entries');
  let next = null;
  let entries = [];

  const subject = () => {
    if (params.flag) {
      const flag = store.flags.find((f) => String(f.id) === params.flag);
      return ['History of flag ', h('strong', null, flag ? flag.name : `#${params.flag}`)];
    }
    if (params.activation) {
      const activation = store.byId.get(Number(params.activation));
      return ['History of activation ', h('strong', null, activation ? activation.name : `#${params.activation}`)];
    }
    return 'History';
  };

  function entryView(entry) {
    const problem = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const revert = h('button', { type: 'button', 'aria-label': `Revert entry ${entry.id}` }, 'Revert');
    revert.addEventListener('click', async () => {
      revert.disabled = true;
      problem.hidden = true;
      try {
        const answer = await call('POST', `/audit/${entry.id}/revert`);
        toast(`Reverted entry ${entry.id}: ${answer.target.kind} “${answer.target.name}” is as it was before it.`);
        await load(true);
      } catch (err) {
        problem.textContent = err.message;
        problem.hidden = false;
        revert.disabled = false;
      }
    });
    const what = entry.before === null ? 'created' : entry.after === null ? 'deleted' : 'changed';
    const targetLink = entry.target.kind === 'flag'
      ? h('a', { href: `#/history?flag=${entry.target.id}` }, entry.target.name)
      : h('a', { href: `#/history?activation=${entry.target.id}` }, entry.target.name);
    return h('li', { class: 'card entry', 'data-entry': entry.id },
      h('div', { class: 'title' },
        h('h3', null, `${entry.target.kind} `, targetLink, ` ${what}`),
        store.writable ? revert : null),
      h('p', { class: 'muted' },
        h('time', { datetime: entry.at }, entry.at ? new Date(entry.at).toLocaleString() : ''),
        ` · entry ${entry.id} · by ${entry.actor} · ${entry.route}`),
      diff(entry.before, entry.after),
      problem);
  }

  async function load(fresh) {
    const path = fresh || !next ? `/audit?limit=50${filter ? `&${filter}` : ''}` : next;
    try {
      const page = await get(path);
      entries = fresh ? page.entries : entries.concat(page.entries);
      next = page.next;
      replace(list, entries.length ? entries.map(entryView) : h('li', { class: 'muted' }, 'Nothing has been written yet.'));
      more.hidden = !next;
    } catch (err) {
      replace(list, h('li', { class: 'field-error' }, err.message));
    }
  }
  more.addEventListener('click', () => load(false));

  replace(main,
    h('h1', null, subject()),
    filter ? h('p', null, h('a', { href: '#/history' }, 'Everything')) : null,
    list, more);
  load(true);
  return { update: () => load(true) };
}
