// Evaluates Novi's flags through the official OpenFeature server SDK and its OFREP provider,
// and prints every evaluation's details as one JSON object. Run by tests/ofrep_node.rs, with
// NOVI_URL (the server) and NOVI_TOKEN (a client token) set.
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const provider = new OFREPProvider({
  baseUrl: process.env.NOVI_URL,
  headers: [['Authorization', `Bearer ${process.env.NOVI_TOKEN}`]],
});
await OpenFeature.setProviderAndWait(provider);
const client = OpenFeature.getClient();
const user = { targetingKey: 'user-7' };

const details = {
  plain: await client.getBooleanDetails('plain', false, user),
  off: await client.getBooleanDetails('off', true, user),
  rollout: await client.getBooleanDetails('rollout', false, user),
  nobody: await client.getBooleanDetails('nobody', true, user),
  colour: await client.getStringDetails('colour', 'grey', user),
  limit: await client.getNumberDetails('limit', 0, user),
  pricing: await client.getObjectDetails('pricing', {}, user),
  missing: await client.getBooleanDetails('missing', true, user),
  wrongType: await client.getStringDetails('plain', 'fallback', user),
  half: {},
};
for (let i = 0; i < 20; i++) {
  details.half[`user-${i}`] = (await client.getBooleanDetails('half', false, { targetingKey: `user-${i}` })).value;
}
await OpenFeature.close();
process.stdout.write(JSON.stringify(details));
