import type { GpuOverview, GpuSample, PendingPowerLimit } from '../../../../shared/gpu-types.js';

/** The fake nvidia-smi's six RTX 3090s (test/fakes/nvidia-smi/README.md): bus ids and UUIDs per index. */
const GPUS: [busId: string, uuid: string][] = [
  ['00000000:41:00.0', 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746'],
  ['00000000:42:00.0', 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281bff01'],
  ['00000000:43:00.0', 'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281bff02'],
  ['00000000:81:00.0', 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4623e'],
  ['00000000:82:00.0', 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4ff04'],
  ['00000000:C1:00.0', 'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4ff05'],
];

/** The fake's GPU at `index`; a test asking for one it does not have fails here, not later. */
function gpuAt(index: number): [busId: string, uuid: string] {
  const gpu = GPUS[index];
  if (!gpu) throw new RangeError(`the fake nvidia-smi has GPUs 0–${GPUS.length - 1}, not ${index}`);
  return gpu;
}

/** A sample with the captured idle values of q-rtx3090x2-driver560.txt (350 W limit, range 100–350 W). */
export function rtx3090Sample(index: number, overrides: Partial<GpuSample> = {}): GpuSample {
  const [busId, uuid] = gpuAt(index);
  return {
    index,
    uuid,
    busId,
    name: 'NVIDIA GeForce RTX 3090',
    atMs: 1_760_000_000_000,
    utilGpuPct: 0,
    memUsedMiB: 2,
    memTotalMiB: 24576,
    tempC: 30,
    powerDrawW: 30.1,
    powerLimitW: 350,
    enforcedPowerLimitW: 350,
    defaultPowerLimitW: 350,
    minPowerLimitW: 100,
    maxPowerLimitW: 350,
    smClockMHz: 210,
    fanPct: 30,
    pstate: 'P8',
    ...overrides,
  };
}

export function rtx3090Uuid(index: number): string {
  return gpuAt(index)[1];
}

/** An overview of the fake's six GPUs (topology left to the test), presets as the demo catalog's. */
export function rtx3090Overview(overrides: Partial<GpuOverview> = {}): GpuOverview {
  return {
    available: true,
    samples: GPUS.map((_, i) => rtx3090Sample(i)),
    host: null,
    topology: null,
    nvlink: null,
    nvlinkSets: [
      [1, 2],
      [3, 4],
    ],
    presetsW: [250, 300, 350],
    pendingPowerLimits: [],
    ...overrides,
  };
}

/** What the engine answers to setPowerLimit: reverting `revertAfterS` after `nowMs`. */
export function pendingChange(index: number, watts: number, nowMs: number, revertAfterS = 20, changeId = `chg-${index}-${watts}`): PendingPowerLimit {
  return { changeId, gpu: rtx3090Uuid(index), previousW: 350, enforcedW: watts, revertAt: new Date(nowMs + revertAfterS * 1000).toISOString() };
}
