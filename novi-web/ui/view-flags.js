// The flag list: search by name, filter (on, off, broken), sort, counts, one-click switches,
// a page of rows at a time (fast with tens of thousands of flags).

import { count, h, replace } from './dom.js';
import { classOf } from './render.js';
import { store } from './store.js';
import { flagSwitch } from './switch.js';

const PAGE = 50;

/** What the list shows, kept while the tab lives (back from a flag, the list is as it was). */
const ui = { query: '', filter: 'all', sort: 'name', page: 0 };

const SORTS = {
  name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  '-name': (a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0),
  '-id': (a, b) => b.id - a.id,
  id: (a, b) => a.id - b.id,
};

let sorted = { generation: -1, sort: null, flags: [] };

function sortedFlags() {
  if (sorted.generation !== store.generation || sorted.sort !== ui.sort) {
    sorted = { generation: store.generation, sort: ui.sort, flags: [...store.flags].sort(SORTS[ui.sort]) };
  }
  return sorted.flags;
}

function matches(flag, query) {
  if (query && !flag.name.toLowerCase().includes(query)) return false;
  switch (ui.filter) {
    case 'on': return flag.status;
    case 'off': return !flag.status;
    case 'broken': return store.isBroken(flag);
    default: return true;
  }
}

const option = (value, label, selected) => h('option', { value, selected: value === selected }, label);

export function mount(main) {
  const search = h('input', {
    type: 'search', id: 'flag-search', value: ui.query, placeholder: 'Search by name',
    autocomplete: 'off', spellcheck: 'false', 'data-focus-key': 'flag-search',
  });
  const filter = h('select', { id: 'flag-filter', 'data-focus-key': 'flag-filter' },
    option('all', 'All flags', ui.filter), option('on', 'On', ui.filter),
    option('off', 'Off', ui.filter), option('broken', 'Broken', ui.filter));
  const sort = h('select', { id: 'flag-sort', 'data-focus-key': 'flag-sort' },
    option('name', 'Name A–Z', ui.sort), option('-name', 'Name Z–A', ui.sort),
    option('-id', 'Newest first', ui.sort), option('id', 'Oldest first', ui.sort));
  const counts = h('p', { id: 'flag-counts', class: 'counts' });
  const shown = h('p', { id: 'flag-shown', class: 'muted', 'aria-live': 'polite' });
  const rows = h('tbody', { id: 'flag-rows' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of flags' });

  function render() {
    const all = store.flags;
    let on = 0;
    let broken = 0;
    for (const flag of all) {
      if (flag.status) on += 1;
      if (store.isBroken(flag)) broken += 1;
    }
    replace(counts,
      h('span', null, `${count(all.length)} flags`), ' · ',
      h('span', null, `${count(on)} on`), ' · ',
      h('span', null, `${count(all.length - on)} off`), ' · ',
      h('span', { class: broken ? 'bad' : null }, `${count(broken)} broken`));
    const query = ui.query.trim().toLowerCase();
    const found = sortedFlags().filter((flag) => matches(flag, query));
    const pages = Math.max(1, Math.ceil(found.length / PAGE));
    ui.page = Math.min(ui.page, pages - 1);
    const first = ui.page * PAGE;
    const page = found.slice(first, first + PAGE);
    shown.textContent = found.length
      ? `Showing ${count(first + 1)}–${count(first + page.length)} of ${count(found.length)}`
      : 'No flag matches.';
    replace(rows, page.map((flag) => h('tr', { 'data-flag': flag.name },
      h('td', null, flagSwitch(flag, render)),
      h('td', null,
        h('a', { href: `#/flags/${encodeURIComponent(flag.name)}`, class: 'flag-name', 'data-focus-key': `link:${flag.id}` }, flag.name),
        store.isBroken(flag) ? h('span', { class: 'badge bad' }, 'broken') : null),
      h('td', { class: 'muted hide-narrow' },
        flag.activations.length ? flag.activations.map((a) => classOf(a.class_name).replace(/Activation$/, '')).join(', ') : '—'),
      h('td', { class: 'num hide-narrow' }, String(flag.id)))));
    if (all.length && !performance.getEntriesByName('novi:flags-painted').length) {
      // When the rows are on screen (after the next frame): the browser tests read this mark.
      requestAnimationFrame(() => setTimeout(() => {
        if (!performance.getEntriesByName('novi:flags-painted').length) performance.mark('novi:flags-painted');
      }));
    }
    const go = (to) => () => { ui.page = to; render(); rows.closest('table').scrollIntoView({ block: 'start' }); };
    replace(pager,
      h('button', { type: 'button', onclick: go(ui.page - 1), disabled: ui.page === 0, 'data-focus-key': 'prev' }, '← Previous'),
      h('span', null, ` Page ${count(ui.page + 1)} of ${count(pages)} `),
      h('button', { type: 'button', onclick: go(ui.page + 1), disabled: ui.page >= pages - 1, 'data-focus-key': 'next' }, 'Next →'));
  }

  search.addEventListener('input', () => { ui.query = search.value; ui.page = 0; render(); });
  filter.addEventListener('change', () => { ui.filter = filter.value; ui.page = 0; render(); });
  sort.addEventListener('change', () => { ui.sort = sort.value; ui.page = 0; render(); });

  replace(main,
    h('div', { class: 'title' },
      h('h1', null, 'Flags'),
      store.writable ? h('a', { class: 'button primary', href: '#/new-flag' }, 'New flag') : null),
    counts,
    h('div', { class: 'toolbar', role: 'search' },
      h('label', { for: 'flag-search', class: 'grow' }, h('span', null, 'Search'), search),
      h('label', { for: 'flag-filter' }, h('span', null, 'Show'), filter),
      h('label', { for: 'flag-sort' }, h('span', null, 'Sort'), sort)),
    shown,
    h('table', { class: 'list', id: 'flag-table' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'On'),
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col', class: 'hide-narrow' }, 'Activations'),
        h('th', { scope: 'col', class: 'num hide-narrow' }, 'Id'))),
      rows),
    pager);
  render();
  return { update: render };
}
