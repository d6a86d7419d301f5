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
  ])('%s', (_, stdout, expected) => {
    expect([...parseComputeApps(stdout)]).toEqual(expected);
  });
});
