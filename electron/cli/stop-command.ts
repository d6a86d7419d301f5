import { parseArgs } from 'node:util';
import { CONNECTION_OPTIONS, CONNECTION_USAGE } from './engine-connection.js';
import { withEngine } from './engine-session.js';
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
  return withEngine(values, async (engine) => {
    // Answered once SGLang has exited (calls over the WebSocket have no timeout).
    await engine.api['models.stop']({ cause: 'cli' });
    console.log('⏹ stopped');
    return 0;
  });
}
