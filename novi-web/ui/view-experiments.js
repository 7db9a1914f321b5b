// Experiments: the list, a form that defines one, and its results with a chart (each variant's
// rate or mean and its 95% interval), the comparison with the control, the sample ratio check
// and the progress towards the planned units.

import { ApiError, call, get } from './api.js';
import { count, field, h, replace, showFieldError, toast } from './dom.js';
import { store } from './store.js';

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element (attributes only: the policy forbids inline styles). */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const pct = (x, digits = 1) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(digits)}%`);
const num = (x, digits = 3) => (x === null || x === undefined ? '–' : Number(x).toPrecision(digits));
const chance = (x) => (x === null || x === undefined ? '–' : x > 0.999 ? '> 99.9%' : x < 0.001 ? '< 0.1%' : pct(x));
const pValue = (p) => (p === null || p === undefined ? '–' : p < 0.0001 ? p.toExponential(1) : p.toFixed(4));

/** Bars with whiskers: each variant's value and its interval, on one scale. */
function chart(title, rows, format) {
  const width = 560;
  const rowHeight = 34;
  const left = 110;
  const right = 80;
  const top = 8;
  const height = top + rows.length * rowHeight + 22;
  const max = Math.max(1e-12, ...rows.map((r) => (r.ci ? r.ci[1] : r.value || 0))) * 1.1;
  const x = (v) => left + ((width - left - right) * Math.max(0, v)) / max;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img',
    'aria-label': `${title}: ${rows.map((r) => `${r.name} ${format(r.value)}`).join(', ')}`,
  });
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    svg.append(
      s('text', { x: left - 8, y: y + 19, 'text-anchor': 'end', class: 'label' }, row.name),
      s('rect', { x: left, y: y + 6, width: Math.max(0, x(row.value || 0) - left), height: 18, class: row.control ? 'bar control' : 'bar', rx: 3 }),
    );
    if (row.ci) {
      const [lo, hi] = row.ci;
      svg.append(
        s('line', { x1: x(lo), x2: x(hi), y1: y + 15, y2: y + 15, class: 'whisker' }),
        s('line', { x1: x(lo), x2: x(lo), y1: y + 9, y2: y + 21, class: 'whisker' }),
        s('line', { x1: x(hi), x2: x(hi), y1: y + 9, y2: y + 21, class: 'whisker' }),
      );
    }
    svg.append(s('text', { x: Math.min(width - 4, x(row.ci ? row.ci[1] : row.value || 0) + 6), y: y + 19, class: 'value' }, format(row.value)));
  });
  svg.append(s('line', { x1: left, x2: left, y1: top, y2: height - 20, class: 'axis' }));
  return h('figure', { class: 'chart-box' }, h('figcaption', null, title), svg);
}

export function mountList(main) {
  const list = h('tbody', { id: 'experiment-rows' });
  async function load() {
    try {
      const all = await get('/experiments');
      replace(list, all.length ? all.map((e) => h('tr', { 'data-experiment': e.id },
        h('td', null, h('a', { href: `#/experiments/${e.id}` }, e.name)),
        h('td', null, e.flag ?? `#${e.flag_id} (deleted)`),
        h('td', null, h('span', { class: `pill ${e.status === 'running' ? 'on' : 'off'}` }, e.status)),
        h('td', { class: 'hide-narrow' }, e.metrics.map((m) => m.name).join(', ')))) : h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'No experiment yet.')));
    } catch (err) {
      replace(list, h('tr', null, h('td', { colspan: 4, class: 'field-error' }, err.message)));
    }
  }
  replace(main,
    h('div', { class: 'title' }, h('h1', null, 'Experiments'),
      store.writable ? h('a', { class: 'button primary', href: '#/new-experiment' }, 'New experiment') : null),
    h('p', { class: 'muted' }, 'Which variant of a flag wins: each unit\'s first exposure, the conversions after it, and the statistics.'),
    h('table', { class: 'list', id: 'experiment-table' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Flag'),
        h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'hide-narrow' }, 'Metrics'))),
      list));
  load();
  return { update: load };
}

export function mountNew(main, _params, { navigate }) {
  const name = h('input', { type: 'text', autocomplete: 'off', required: true });
  const flag = h('select', null, store.flags.map((f) => h('option', { value: f.name }, f.name)));
  const control = h('input', { type: 'text', autocomplete: 'off', value: 'control' });
  const unitKey = h('input', { type: 'text', autocomplete: 'off', value: 'userId' });
  const metrics = h('textarea', { rows: 4, class: 'code', spellcheck: 'false', value: '[{"name": "purchased", "event": "purchase", "kind": "conversion"}]' });
  const planned = h('input', { type: 'number', min: 1, step: 1 });
  const fields = {
    name: field('experiment-name', 'Name', name),
    flag: field('experiment-flag', 'Flag', flag, 'A flag that assigns variants (a VariantActivation or a WeightedRandomActivation).'),
    control: field('experiment-control', 'Control variant', control),
    unit_key: field('experiment-unit', 'Unit key', unitKey, 'The context key that names a unit.'),
    metrics: field('experiment-metrics', 'Metrics (JSON)', metrics, 'Each: {"name", "event", "kind": "conversion" | "mean"}.'),
    planned_units: field('experiment-planned', 'Planned units (optional)', planned),
  };
  const form = h('form', { class: 'card narrow', id: 'new-experiment' },
    h('h1', null, 'New experiment'),
    Object.values(fields).map((f) => f.wrap),
    h('p', { class: 'muted' }, 'It is created as a draft: start it from its page.'),
    h('div', { class: 'actions' },
      h('a', { class: 'button quiet', href: '#/experiments' }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Create experiment')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const f of Object.values(fields)) showFieldError(f, null);
    let parsed;
    try {
      parsed = JSON.parse(metrics.value);
    } catch (err) {
      return showFieldError(fields.metrics, `Not JSON: ${err.message}`);
    }
    const body = { name: name.value, flag: flag.value, control: control.value, unit_key: unitKey.value, metrics: parsed };
    if (planned.value) body.planned_units = Number(planned.value);
    try {
      const created = await call('POST', '/experiments', body);
      toast(`Created experiment “${created.name}” (a draft).`);
      navigate(`#/experiments/${created.id}`);
    } catch (err) {
      const target = fields[err instanceof ApiError && err.field] || fields.name;
      showFieldError(target, err.message);
      target.input.focus();
    }
  });
  replace(main, form);
  name.focus();
}

export function mountResults(main, { id }) {
  const body = h('div', { id: 'results-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const heading = h('h1', null, `Experiment #${id}`);
  const actions = h('div', { class: 'actions' });
  let timer = null;

  async function setStatus(status) {
    try {
      await call('PUT', `/experiments/${id}`, { status });
      toast(status === 'running' ? 'Started: exposures are recorded from now on.' : 'Stopped.');
      load();
    } catch (err) {
      toast(`Could not change the status: ${err.message}`);
    }
  }

  async function load() {
    let r;
    try {
      r = await get(`/experiments/${id}/results`);
    } catch (err) {
      replace(body, h('p', { class: 'field-error' }, err.message));
      return;
    }
    const e = r.experiment;
    heading.textContent = e.name;
    replace(actions,
      h('span', { class: `pill ${e.status === 'running' ? 'on' : 'off'}` }, e.status),
      store.writable && e.status !== 'running' ? h('button', { type: 'button', class: 'primary', onclick: () => setStatus('running') }, 'Start') : null,
      store.writable && e.status === 'running' ? h('button', { type: 'button', onclick: () => setStatus('stopped') }, 'Stop') : null);
    const planned = r.sample_size.planned;
    const reached = r.sample_size.reached;
    const summary = h('dl', { class: 'facts', id: 'results-summary' },
      h('dt', null, 'Flag'), h('dd', null, e.flag ? h('a', { href: `#/flags/${encodeURIComponent(e.flag)}` }, e.flag) : `#${e.flag_id} (deleted)`),
      h('dt', null, 'Control'), h('dd', null, e.control),
      h('dt', null, 'Units'), h('dd', null, planned ? [`${count(reached)} of ${count(planned)} planned `, h('meter', { min: 0, max: planned, value: Math.min(reached, planned) })] : count(reached)),
      h('dt', null, 'Sample ratio'), h('dd', { id: 'srm' }, r.srm
        ? (r.srm.mismatch
          ? h('span', { class: 'bad' }, `Mismatch (p = ${pValue(r.srm.p_value)}): the units are not split as the flag's weights say; do not trust these results until the cause is found.`)
          : `as the weights say (p = ${pValue(r.srm.p_value)})`)
        : '–'),
      h('dt', null, 'Exposures dropped'), h('dd', { class: r.exposures_dropped ? 'bad' : null }, count(r.exposures_dropped)));
    const sections = e.metrics.map((metric) => {
      const rows = r.variants.map((v) => {
        const m = v.metrics[metric.name];
        return { name: v.name, control: v.control, value: metric.kind === 'conversion' ? m.rate : m.mean, ci: m.ci, m, units: v.units };
      });
      const format = metric.kind === 'conversion' ? (x) => pct(x) : (x) => num(x);
      return h('section', { class: 'card', 'aria-labelledby': `metric-${metric.name}` },
        h('h2', { id: `metric-${metric.name}` }, metric.name, ' ', h('span', { class: 'tag' }, `${metric.kind} of “${metric.event}”`)),
        chart(metric.kind === 'conversion' ? 'Conversion rate, 95% interval' : 'Mean per unit, 95% interval', rows, format),
        h('table', { class: 'list results' },
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'Variant'), h('th', { scope: 'col', class: 'num' }, 'Units'),
            h('th', { scope: 'col', class: 'num' }, metric.kind === 'conversion' ? 'Rate' : 'Mean'),
            h('th', { scope: 'col', class: 'num' }, 'Lift (95%)'),
            h('th', { scope: 'col', class: 'num' }, 'p (Holm)'),
            h('th', { scope: 'col', class: 'num' }, 'Chance to beat'))),
          h('tbody', null, rows.map((row) => h('tr', { 'data-variant': row.name },
            h('th', { scope: 'row' }, row.name, row.control ? h('span', { class: 'tag' }, 'control') : null),
            h('td', { class: 'num' }, count(row.units)),
            h('td', { class: 'num' }, format(row.value)),
            h('td', { class: 'num' }, row.control ? '—' : [pct(row.m.lift), row.m.lift_ci ? h('span', { class: 'muted' }, ` [${pct(row.m.lift_ci[0])}, ${pct(row.m.lift_ci[1])}]`) : null]),
            h('td', { class: 'num' }, row.control ? '—' : `${pValue(row.m.p_value)} (${pValue(row.m.p_value_adjusted)})`),
            h('td', { class: 'num' }, row.control ? '—' : chance(row.m.chance_to_beat_control)))))));
    });
    replace(body, summary, sections,
      h('p', { class: 'muted help' }, 'Rates: 95% Wilson intervals; means: 95% t intervals; lift relative to the control with a delta-method interval; p: two-proportion z-test or Welch\'s t-test, adjusted by Holm across variants; chance to beat: Bayesian, Beta(1, 1) priors (exact).'));
  }

  replace(main, h('p', { class: 'crumbs' }, h('a', { href: '#/experiments' }, 'Experiments'), ' / '),
    h('div', { class: 'title' }, heading, actions), body);
  load();
  // Exposures are not flag changes: the change stream does not announce them.
  timer = setInterval(load, 5000);
  return { update: load, unmount: () => clearInterval(timer) };
}
