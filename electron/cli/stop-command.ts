import { parseArgs } from 'node:util';
import { EngineClient } from './engine-client.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, resolveConnection } from './engine-connection.js';
import { parseOrUsage } from './usage-error.js';

const USAGE = `usage: switchboard stop [options]

Stops the backend (the engine keeps running; the next request or switch starts a model again).
${CONNECTION_USAGE}`;

export async function runStop(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () => parseArgs({ args, options: CONNECTION_OPTIONS, strict: true }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const client = new EngineClient(await resolveConnection(values));
  // Stopping waits for SGLang to exit, which can outlast undici's default timeouts.
  await client.postJson('/api/stop', { cause: 'cli' }, { long: true });
  console.log('⏹ stopped');
  return 0;
}
