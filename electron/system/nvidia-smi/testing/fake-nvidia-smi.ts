import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fake nvidia-smi (6× RTX 3090, NVLink pairs 1–2 and 3–4, limits 100–350 W, default 350 W). */
export const FAKE_NVIDIA_SMI = fileURLToPath(new URL('../../../../test/fakes/bin/nvidia-smi', import.meta.url));

/**
 * Points this process (and the nvidia-smi processes it starts) at a private fake state file, so power limits
 * set here are not seen by other test files. Returns the cleanup.
 */
export async function useFakeNvidiaSmiState(): Promise<{ stateFile: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-nvidia-smi-state-'));
  const stateFile = join(dir, 'state.json');
  const before = process.env.FAKE_NVIDIA_SMI_STATE;
  process.env.FAKE_NVIDIA_SMI_STATE = stateFile;
  return {
    stateFile,
    async cleanup() {
      if (before === undefined) delete process.env.FAKE_NVIDIA_SMI_STATE;
      else process.env.FAKE_NVIDIA_SMI_STATE = before;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
