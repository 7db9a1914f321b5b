// The server's state: its snapshot's revision and age, whether refreshes succeed, its version
// and where its flags come from.

import { get } from './api.js';
import { h, replace } from './dom.js';

export function mount(main) {
  const facts = h('dl', { class: 'facts', id: 'status' });
  let timer = null;

  async function render() {
    let health;
    try {
      health = await get('/health');
    } catch (err) {
      // 503 is "degraded": its body is the health report.
      health = err.body && err.body.status ? err.body : { status: `unreachable (${err.message})` };
    }
    const live = document.getElementById('live').textContent;
    replace(facts,
      h('dt', null, 'State'), h('dd', null, h('span', { class: health.status === 'ok' ? 'pill on' : 'pill off' }, health.status),
        health.status === 'degraded' ? ' the latest refresh failed; evaluations answer from the last snapshot' : null),
      h('dt', null, 'Revision'), h('dd', null, h('code', null, health.revision || '—')),
      h('dt', null, 'Snapshot age'), h('dd', null, health.snapshot_age_seconds !== undefined ? `${health.snapshot_age_seconds.toFixed(1)} s` : '—'),
      h('dt', null, 'Flags'), h('dd', null, String(health.flags ?? '—')),
      h('dt', null, 'Backend'), h('dd', null, health.backend || '—'),
      health.upstream ? [h('dt', null, 'Upstream'), h('dd', null, `${health.upstream.url} (${health.upstream.state})`)] : null,
      h('dt', null, 'Version'), h('dd', null, health.version || '—'),
      h('dt', null, 'Change stream'), h('dd', null, live));
  }

  replace(main, h('h1', null, 'Status'), facts);
  render();
  timer = setInterval(render, 2000);
  return { update: render, unmount: () => clearInterval(timer) };
}
