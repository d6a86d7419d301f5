import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopology } from './read-topology.js';
import { FAKE_NVIDIA_SMI, useFakeNvidiaSmiState } from '../../system/nvidia-smi/testing/fake-nvidia-smi.js';

let fake: Awaited<ReturnType<typeof useFakeNvidiaSmiState>>;
beforeAll(async () => (fake = await useFakeNvidiaSmiState()));
afterAll(() => fake.cleanup());

describe('readTopology', () => {
  it('reads topo -m and nvlink --status from the fake 6× RTX 3090 host: NVLink pairs 1–2 and 3–4', async () => {
    const snapshot = await readTopology(FAKE_NVIDIA_SMI, () => 1234);
    expect(snapshot.errors).toEqual([]);
    expect(snapshot.atMs).toBe(1234);
    expect(snapshot.topology?.devices.map((d) => d.label)).toEqual(['GPU0', 'GPU1', 'GPU2', 'GPU3', 'GPU4', 'GPU5']);
    expect(snapshot.topology?.matrix[0]).toEqual(['X', 'PHB', 'PHB', 'SYS', 'SYS', 'SYS']);
    expect(snapshot.topology?.devices[3]).toMatchObject({ cpuAffinity: '24-47,72-95', numaAffinity: '1' });
    expect(snapshot.nvlink?.map((g) => g.links.filter((l) => l.active).length)).toEqual([0, 4, 4, 4, 4, 0]);
    expect(snapshot.nvlink?.[0]?.none).toBe('all-links-inactive');
    expect(snapshot.nvlinkSets).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('without nvidia-smi: nulls and one reason per part, never a throw', async () => {
    const snapshot = await readTopology('/nonexistent/nvidia-smi');
    expect(snapshot).toMatchObject({ topology: null, nvlink: null, nvlinkSets: [] });
    expect(snapshot.errors).toEqual(['nvidia-smi topo -m: not found at /nonexistent/nvidia-smi', 'nvidia-smi nvlink --status: not found at /nonexistent/nvidia-smi']);
  });
});
