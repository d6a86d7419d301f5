import { describe, expect, it } from 'vitest';
import { parseComputeApps } from './read-compute-apps.js';

describe('parseComputeApps', () => {
  it.each([
    ['nothing runs: no line', '', []],
    [
      'two ranks of one server, one process on two GPUs',
      '4100, 20480\n4101, 20470\n4200, 1000\n4200, 1200\n',
      [
        [4100, 20480],
        [4101, 20470],
        [4200, 2200],
      ],
    ],
    [
      'memory not reported',
      '4100, [N/A]\n4101, [Not Supported]\n',
      [
        [4100, null],
        [4101, null],
      ],
    ],
    ['a line nvidia-smi would not print is skipped', 'No running processes found\n4100, 512\n', [[4100, 512]]],
    // The processes of the RTX 4080 SUPER capture quoted in test/fakes/nvidia-smi/README.md (utkuozdemir/nvidia_gpu_exporter), as `pid,used_memory`:
    [
      'a desktop and two ffmpeg, nounits',
      '2165, 25\n5022, 503\n5021, 360\n',
      [
        [2165, 25],
        [5022, 503],
        [5021, 360],
      ],
    ],
    [
      'the same with units and the header (csv without noheader,nounits)',
      'pid, used_gpu_memory [MiB]\n2165, 25 MiB\n5022, 503 MiB\n5021, 360 MiB\n',
      [
        [2165, 25],
        [5022, 503],
        [5021, 360],
      ],
    ],
  ])('%s', (_, stdout, expected) => {
    expect([...parseComputeApps(stdout)]).toEqual(expected);
  });
});
