// Activations shown readably by class (date windows, rollout percentages, variant tables,
// constraint lists, composites), and audit states as a before/after diff.

import { h } from './dom.js';

const ALIASES = {
  flexibleRollout: 'GradualRolloutActivation',
  userWithId: 'UserListActivation',
  variants: 'VariantActivation',
};

/** The built-in class a stored `class_name` names (Python paths and Unleash names included). */
export function classOf(className) {
  const last = String(className).split('.').pop();
  return ALIASES[last] || last;
}

function parse(config) {
  try { return JSON.parse(config); } catch { return undefined; }
}

const dl = (...pairs) => h('dl', { class: 'facts' },
  pairs.filter((pair) => pair && pair[1] !== undefined && pair[1] !== null && pair[1] !== '')
    .map(([term, detail]) => [h('dt', null, term), h('dd', null, detail)]));

const list = (items) => h('ul', { class: 'values' }, items.map((item) => h('li', null, String(item))));

function percentBar(percentage) {
  const value = Math.max(0, Math.min(100, Number(percentage) || 0));
  return h('span', { class: 'rollout' },
    h('meter', { min: 0, max: 100, value, 'aria-label': `${value}%` }),
    ` ${value}%`);
}

function weightsTable(rows, withPayload) {
  const total = rows.reduce((sum, row) => sum + (Number(row.weight) || 0), 0);
  return h('table', { class: 'variants' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Variant'),
      h('th', { scope: 'col' }, 'Weight'),
      h('th', { scope: 'col' }, 'Share'),
      withPayload ? h('th', { scope: 'col' }, 'Payload') : null)),
    h('tbody', null, rows.map((row) => h('tr', null,
      h('td', null, String(row.name)),
      h('td', { class: 'num' }, String(row.weight)),
      h('td', { class: 'num' }, total > 0 ? `${((100 * (Number(row.weight) || 0)) / total).toFixed(1)}%` : '–'),
      withPayload ? h('td', null, row.payload
        ? [h('span', { class: 'tag' }, String(row.payload.type)), ' ', h('code', null, String(row.payload.value))]
        : '–') : null))));
}

function constraint(c) {
  const values = Array.isArray(c.values) ? c.values : (c.value !== undefined ? [c.value] : []);
  return h('li', null,
    h('code', null, String(c.contextName)), ' ',
    h('span', { class: 'op' }, `${c.inverted ? 'NOT ' : ''}${c.operator}`), ' ',
    values.map((v, i) => [i ? ', ' : '', h('code', null, String(v))]),
    c.caseInsensitive ? h('span', { class: 'muted' }, ' (case-insensitive)') : null);
}

/** A readable view of an activation's config; the raw text when it is not understood. */
export function describeConfig(className, config, activationsById = new Map()) {
  const cls = classOf(className);
  const cfg = parse(config);
  const raw = () => h('pre', { class: 'raw' }, String(config));
  if (cfg === undefined) return h('div', null, h('p', { class: 'muted' }, 'The config is not JSON:'), raw());
  const ref = (id) => {
    const other = activationsById.get(Number(id));
    return h('li', null, h('a', { href: `#/activations/${encodeURIComponent(id)}` }, `#${id}`),
      other ? ` ${other.name} (${classOf(other.class_name)})` : ' (missing)');
  };
  try {
    switch (cls) {
      case 'DateTimeActivation':
        return dl(['Starts', h('time', null, String(cfg.startDateTime))],
          ['Ends', h('time', null, String(cfg.endDateTime))],
          ['Format', h('code', null, String(cfg.format))]);
      case 'GradualRolloutActivation':
        return dl(['Rollout', percentBar(cfg.percentage)],
          ['Stickiness', cfg.stickiness], ['Group', cfg.groupId]);
      case 'WeightedRandomActivation': {
        const names = cfg.variations || [];
        const splits = cfg.splits || [];
        return weightsTable(names.map((name, i) => ({ name, weight: splits[i] })), false);
      }
      case 'VariantActivation':
        return h('div', null, weightsTable(cfg.variants || [], true),
          dl(['Stickiness', cfg.stickiness], ['Group', cfg.groupId], ['Hash seed', cfg.hashSeed]));
      case 'ConstraintActivation': {
        const all = Array.isArray(cfg) ? cfg : (cfg.constraints || [cfg]);
        return h('ul', { class: 'constraints' }, all.map(constraint));
      }
      case 'UserListActivation':
        return dl([`${cfg.contextKey || 'userId'} is one of`, list(cfg.values || [])],
          ['Case', cfg.caseInsensitive ? 'insensitive' : null]);
      case 'EnvironmentActivation':
        return dl(['Environments', list(cfg.environments || [])]);
      case 'IpRangeActivation':
        return dl(['Addresses in', list(cfg.cidrs || [])]);
      case 'AndActivation':
        return h('div', null, h('p', null, 'All of:'), h('ul', { class: 'refs' }, (cfg || []).map(ref)));
      case 'OrActivation':
        return h('div', null, h('p', null, 'Any of:'), h('ul', { class: 'refs' }, (cfg || []).map(ref)));
      case 'NotActivation':
        return h('div', null, h('p', null, 'Not:'), h('ul', { class: 'refs' }, (cfg || []).map(ref)));
      default:
        return raw();
    }
  } catch {
    return raw();
  }
}

function show(value) {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * A before/after table of two audit states (either may be null: created, deleted): the fields
 * that changed, and the names of those that did not.
 */
export function diff(before, after) {
  const keys = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])];
  const changed = keys.filter((key) => !before || !after || show(before[key]) !== show(after[key]));
  const same = keys.filter((key) => !changed.includes(key));
  return h('div', null,
    h('table', { class: 'diff' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Field'),
        h('th', { scope: 'col' }, 'Before'),
        h('th', { scope: 'col' }, 'After'))),
      h('tbody', null, changed.map((key) => h('tr', { class: 'changed' },
        h('th', { scope: 'row' }, key),
        h('td', null, before ? h('del', null, show(before[key])) : h('span', { class: 'muted' }, '(none)')),
        h('td', null, after ? h('ins', null, show(after[key])) : h('span', { class: 'muted' }, '(deleted)')))))),
    same.length ? h('p', { class: 'muted unchanged' }, `Unchanged: ${same.join(', ')}`) : null);
}
