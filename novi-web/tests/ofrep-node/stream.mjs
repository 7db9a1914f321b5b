// The official OpenFeature web SDK and its OFREP web provider follow Novi's event stream: the
// bulk answer advertises `eventStreams`, the provider opens /stream with EventSource (Node's
// --experimental-eventsource), and a change made through the admin API reaches it as a
// `refetchEvaluation` event, with polling off. Prints {before, after, changedAfterMs} as JSON.
// Run by tests/ofrep_node.rs with NOVI_URL and NOVI_ADMIN (an admin token) set.
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

const url = process.env.NOVI_URL;
const provider = new OFREPWebProvider({
  baseUrl: url,
  pollInterval: 0,
  changeDetection: 'sse',
  cacheMode: 'disabled',
});
await OpenFeature.setContext({ targetingKey: 'user-7' });
await OpenFeature.setProviderAndWait(provider);
const client = OpenFeature.getClient();
const before = client.getBooleanValue('streamed', true);

// Give the provider a moment to open its stream, then change the flag.
await new Promise((resolve) => setTimeout(resolve, 500));
const changed = new Promise((resolve) => {
  OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, () => resolve(true));
  setTimeout(() => resolve(false), 15000);
});
const started = Date.now();
const put = await fetch(`${url}/flags/streamed`, {
  method: 'PUT',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${process.env.NOVI_ADMIN}` },
  body: JSON.stringify({ status: true }),
});
if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
const sawChange = await changed;
const after = client.getBooleanValue('streamed', false);
process.stdout.write(JSON.stringify({ before, after, sawChange, changedAfterMs: Date.now() - started }));
await OpenFeature.close();
process.exit(0);
