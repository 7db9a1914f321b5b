// "What does this user get?": a context, as key/value rows or as JSON, and every flag's answer
// for it (`POST /evaluatedFlags`): on or off, the reason, the variant.

import { call } from './api.js';
import { count, field, h, replace, showFieldError } from './dom.js';

const PAGE = 200;

/** The context being edited, kept while the tab lives. */
const ui = { mode: 'rows', rows: [['userId', '']], json: '{\n  "userId": ""\n}', filter: '' };

function rowsToContext() {
  const context = {};
  for (const [key, value] of ui.rows) if (key.trim()) context[key.trim()] = value;
  return context;
}

export function mount(main) {
  const rowsBox = h('div', { class: 'kv', id: 'context-rows' });
  const json = h('textarea', { rows: 8, spellcheck: 'false', class: 'code', value: ui.json });
  const jsonField = field('context-json', 'Context (a JSON object)', json,
    'Numbers and booleans keep their type here; in rows every value is a string.');
  const modeRows = h('button', { type: 'button', role: 'tab', id: 'mode-rows' }, 'Key / value');
  const modeJson = h('button', { type: 'button', role: 'tab', id: 'mode-json' }, 'JSON');
  const filter = h('input', { type: 'search', id: 'result-filter', placeholder: 'Only flags whose name holds…', value: ui.filter });
  const summary = h('p', { id: 'result-summary', class: 'muted', 'aria-live': 'polite' });
  const results = h('tbody', { id: 'results' });
  let answers = [];
  let limit = PAGE;

  function renderRows() {
    replace(rowsBox, ui.rows.map((row, i) => h('div', { class: 'kv-row' },
      h('input', {
        type: 'text', value: row[0], 'aria-label': `Key ${i + 1}`, placeholder: 'key', spellcheck: 'false',
        oninput: (e) => { ui.rows[i][0] = e.target.value; },
      }),
      h('input', {
        type: 'text', value: row[1], 'aria-label': `Value ${i + 1}`, placeholder: 'value', spellcheck: 'false',
        oninput: (e) => { ui.rows[i][1] = e.target.value; },
      }),
      h('button', {
        type: 'button', class: 'quiet', 'aria-label': `Remove row ${i + 1}`,
        onclick: () => { ui.rows.splice(i, 1); renderRows(); },
      }, '×'))),
    h('button', { type: 'button', onclick: () => { ui.rows.push(['', '']); renderRows(); rowsBox.querySelector('.kv-row:last-of-type input').focus(); } }, 'Add a key'));
  }

  function setMode(mode) {
    if (mode === 'json' && ui.mode === 'rows') json.value = JSON.stringify(rowsToContext(), null, 2);
    ui.mode = mode;
    modeRows.setAttribute('aria-selected', String(mode === 'rows'));
    modeJson.setAttribute('aria-selected', String(mode === 'json'));
    rowsBox.hidden = mode !== 'rows';
    jsonField.wrap.hidden = mode !== 'json';
  }

  function renderResults() {
    const query = ui.filter.trim().toLowerCase();
    const shown = answers.filter((a) => !query || a.name.toLowerCase().includes(query));
    const on = answers.filter((a) => a.status).length;
    summary.textContent = answers.length
      ? `${count(answers.length)} flags: ${count(on)} on, ${count(answers.length - on)} off${query ? ` · ${count(shown.length)} match` : ''}`
      : '';
    replace(results, shown.slice(0, limit).map((a) => h('tr', { 'data-flag': a.name },
      h('td', null, h('a', { href: `#/flags/${encodeURIComponent(a.name)}` }, a.name)),
      h('td', null, h('span', { class: a.status ? 'pill on' : 'pill off' }, a.status ? 'on' : 'off')),
      h('td', null, a.reason ? [h('code', null, a.reason.code), ' ', h('span', { class: 'muted' }, a.reason.message || '')] : '—'),
      h('td', null, a.variant
        ? [h('strong', null, String(a.variant.name)), a.variant.payload ? [' ', h('code', null, JSON.stringify(a.variant.payload))] : null]
        : '—'))));
    more.hidden = shown.length <= limit;
  }

  const more = h('button', { type: 'button', hidden: true, onclick: () => { limit += PAGE; renderResults(); } }, 'Show more');

  const form = h('form', { id: 'evaluate-form', class: 'card' },
    h('h1', null, 'Evaluate'),
    h('p', { class: 'muted' }, 'What does this caller get? Every flag, evaluated for the context you give.'),
    h('div', { role: 'tablist', 'aria-label': 'Context as', class: 'tabs' }, modeRows, modeJson),
    rowsBox, jsonField.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Evaluate')));
  modeRows.addEventListener('click', () => setMode('rows'));
  modeJson.addEventListener('click', () => setMode('json'));
  json.addEventListener('input', () => { ui.json = json.value; });
  filter.addEventListener('input', () => { ui.filter = filter.value; limit = PAGE; renderResults(); });

  async function run() {
    showFieldError(jsonField, null);
    let context;
    if (ui.mode === 'json') {
      try {
        context = JSON.parse(json.value || '{}');
      } catch (err) {
        return showFieldError(jsonField, `Not JSON: ${err.message}`);
      }
      if (!context || typeof context !== 'object' || Array.isArray(context)) {
        return showFieldError(jsonField, 'The context must be a JSON object.');
      }
    } else {
      context = rowsToContext();
    }
    try {
      answers = await call('POST', '/evaluatedFlags', context);
      renderResults();
    } catch (err) {
      if (ui.mode === 'json') showFieldError(jsonField, err.message);
      else summary.textContent = err.message;
    }
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); run(); });

  replace(main, form,
    h('section', { 'aria-labelledby': 'answers' },
      h('h2', { id: 'answers' }, 'Answers'),
      h('label', { for: 'result-filter', class: 'toolbar' }, h('span', null, 'Filter'), filter),
      summary,
      h('table', { class: 'list', id: 'result-table' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Flag'),
          h('th', { scope: 'col' }, 'Answer'),
          h('th', { scope: 'col' }, 'Reason'),
          h('th', { scope: 'col' }, 'Variant'))),
        results),
      more));
  renderRows();
  setMode(ui.mode);
  return {
    // A change elsewhere: the answers shown are evaluated again.
    update() {
      if (answers.length) run();
    },
  };
}
