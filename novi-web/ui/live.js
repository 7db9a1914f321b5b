// The change stream (`GET /stream`, server-sent events) read with fetch, so that it can carry
// the token in a header (EventSource cannot). Each event names a new revision of the stored
// flags; the page reloads what it shows. Reconnects with Last-Event-ID after a drop.

import { authHeaders } from './api.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows the stream until `stop()`; calls `onRevision(revision)` and `onState(state)`. */
export function follow(onRevision, onState) {
  let stopped = false;
  let controller = null;
  let lastId = null;
  let failures = 0;

  async function once() {
    controller = new AbortController();
    const headers = authHeaders({ Accept: 'text/event-stream' });
    if (lastId) headers['Last-Event-ID'] = lastId;
    const response = await fetch('/stream', { headers, cache: 'no-store', signal: controller.signal });
    if (!response.ok) throw new Error(`the stream answered ${response.status}`);
    onState('live');
    failures = 0;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id = null;
        for (const line of block.split('\n')) {
          if (line.startsWith('id:')) id = line.slice(3).trim();
        }
        if (id) {
          lastId = id;
          onRevision(id);
        }
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        await once();
      } catch (err) {
        if (stopped) return;
      }
      if (stopped) return;
      onState('reconnecting');
      failures += 1;
      await sleep(Math.min(250 * 2 ** Math.min(failures, 5), 5000));
    }
  })();

  return {
    stop() {
      stopped = true;
      if (controller) controller.abort();
    },
  };
}
