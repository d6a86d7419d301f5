import { parseArgs } from 'node:util';
import { parseOrUsage } from './usage-error.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { isPortFree } from '../system/find-port-owner.js';
import { serve } from './serve-command.js';
import { writeDemoHost } from '../engine/catalog/write-demo-host.js';

const USAGE = `usage: switchboard demo [--dir DIR] [--time-scale X] [--port PORT]

Runs the engine on a simulated GPU host: four models served by the SGLang simulator
(a small one, a big tp=4 one with torch.compile, one that fails with CUDA OOM, and a warm
one that sleeps instead of stopping) and six RTX 3090 answered by a fake nvidia-smi built
from real captures.`;

export async function runDemo(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () =>
    parseArgs({
      args,
      options: { dir: { type: 'string' }, 'time-scale': { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }),
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeScale = values['time-scale'] === undefined ? 0.15 : Number(values['time-scale']);
  if (!(timeScale > 0 && timeScale <= 10)) {
    console.error(`--time-scale must be a number in (0, 10], got "${values['time-scale']}"`);
    return 2;
  }
  const routerPort = values.port === undefined ? await preferredOrFree(8002) : Number(values.port);
  const backendPort = await preferredOrFree(routerPort === 8001 ? 8003 : 8001);
  const dir = values.dir ?? join(tmpdir(), `sglang-switchboard-demo-${process.getuid?.() ?? 'user'}`);
  const configPath = await writeDemoHost({ dir, routerPort, backendPort, timeScale });
  // The fake nvidia-smi keeps the simulated GPUs' power limits here; the demo may change them freely.
  process.env.FAKE_NVIDIA_SMI_STATE ??= join(dir, 'fake-nvidia-smi-state.json');
  process.env.FAKE_NVIDIA_SMI_PRIVILEGED ??= '1';
  return serve({
    configPath,
    stateDir: join(dir, 'state'),
    banner: (url, catalog) =>
      [
        '',
        `Demo host in ${dir} (SGLang simulator, time scale ${timeScale}). Try, in another terminal:`,
        `  node bin/switchboard.js switch ${catalog.models[0]?.id} --url ${url}`,
        `  node bin/switchboard.js switch mistral --url ${url}        # tp=4, torch.compile: takes longer`,
        `  node bin/switchboard.js switch ${catalog.models[2]?.id} --url ${url}   # fails: CUDA out of memory`,
        `  node bin/switchboard.js status --url ${url}`,
        `  node bin/switchboard.js logs -f --url ${url}`,
        `  curl -H "Authorization: Bearer $(cat ${join(dir, 'state', 'admin-token')})" ${url}/api/state`,
        `  curl -H "Authorization: Bearer $(cat ${join(dir, 'state', 'admin-token')})" ${url}/api/gpu   # six simulated RTX 3090, NVLink pairs 1-2 and 3-4`,
        `  node bin/switchboard.js bench mistral --url ${url}   # tok/s at the current power limits`,
        'Ctrl-C stops the engine and its backend.',
      ].join('\n'),
  });
}

/** The usual port when it is free, else any free one (the demo must start on a busy machine too). */
async function preferredOrFree(preferred: number): Promise<number> {
  if (await isPortFree('127.0.0.1', preferred)) return preferred;
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : preferred));
    });
  });
}
