import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FAKE_NVIDIA_SMI_BIN } from '../../../electron/engine/catalog/write-demo-host.js';
import type { DemoServer } from './demo-server.js';

const run = promisify(execFile);

/** One GPU as the demo's fake nvidia-smi reports it now. */
export interface FakeGpu {
  index: number;
  uuid: string;
  powerLimitW: number;
}

/** Every GPU of the demo host with its enforced power limit, read from the fake nvidia-smi itself (not through the engine). */
export async function readFakeGpus(server: Pick<DemoServer, 'dir'>): Promise<FakeGpu[]> {
  const { stdout } = await run(FAKE_NVIDIA_SMI_BIN, ['--query-gpu=index,uuid,power.limit', '--format=csv,noheader,nounits'], {
    env: { ...process.env, FAKE_NVIDIA_SMI_STATE: join(server.dir, 'nvidia-smi-state.json') },
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [index, uuid, limit] = line.split(',').map((f) => f.trim());
      return { index: Number(index), uuid: uuid!, powerLimitW: Math.round(Number(limit)) };
    });
}
