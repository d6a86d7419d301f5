import { describe, expect, it } from 'vitest';
import { HelperError, type PowerLimitChange } from '../../../shared/helper-protocol.js';
import type { GpuSample } from '../../../shared/gpu-types.js';
import { EngineError } from '../../../shared/engine-error.js';
import { GpuPowerControl } from './gpu-power-control.js';
import type { PowerLimits } from './power-limits.js';

function sample(index: number, powerLimitW = 350): GpuSample {
  return {
    index,
    uuid: `GPU-${index}`,
    busId: `00000000:4${index}:00.0`,
    name: 'RTX 3090',
    atMs: 1,
    utilGpuPct: 0,
    memUsedMiB: 0,
    memTotalMiB: 24576,
    tempC: 30,
    powerDrawW: 30,
    powerLimitW,
    enforcedPowerLimitW: powerLimitW,
    defaultPowerLimitW: 350,
    minPowerLimitW: 100,
    maxPowerLimitW: 350,
    smClockMHz: 0,
    fanPct: 0,
    pstate: 'P8',
  };
}

/** An in-memory port with the helper's contract: one pending change per GPU, errors as HelperErrors. */
class MemoryPowerLimits implements PowerLimits {
  readonly calls: string[] = [];
  readonly limits = new Map<string, number>();
  private readonly pending = new Map<string, { gpu: string; previousW: number }>();
  private next = 1;
  failOn: string | null = null;

  async setPowerLimit(gpu: string, watts: number, revertAfterS = 20): Promise<PowerLimitChange> {
    this.calls.push(`set ${gpu} ${watts} ${revertAfterS}`);
    if (gpu === this.failOn) throw new HelperError('failed', `nvidia-smi failed on ${gpu}`);
    const previousW = this.limits.get(gpu) ?? 350;
    this.limits.set(gpu, watts);
    const changeId = `c${this.next++}`;
    this.pending.set(changeId, { gpu, previousW });
    return { changeId, gpu, previousW, enforcedW: watts, revertAt: new Date(Date.now() + revertAfterS * 1000).toISOString() };
  }

  async confirm(changeId: string): Promise<void> {
    this.calls.push(`confirm ${changeId}`);
    if (!this.pending.delete(changeId)) throw new HelperError('not_found', `no pending power-limit change "${changeId}"`);
  }

  async revert(changeId: string): Promise<number> {
    this.calls.push(`revert ${changeId}`);
    const change = this.pending.get(changeId);
    if (!change) throw new HelperError('not_found', `no pending power-limit change "${changeId}"`);
    this.pending.delete(changeId);
    this.limits.set(change.gpu, change.previousW);
    return change.previousW;
  }
}

function setup(samples: GpuSample[] = [sample(0), sample(1), sample(2, 300)]) {
  const port = new MemoryPowerLimits();
  const lookup = { latest: () => samples, findGpu: (id: string) => samples.find((s) => s.uuid === id || s.busId === id) };
  return { port, control: new GpuPowerControl(lookup, async () => port) };
}

async function rejection(promise: Promise<unknown>): Promise<EngineError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

describe('GpuPowerControl', () => {
  it('sets a limit by bus id through the port, by UUID, and lists it as pending until confirmed', async () => {
    const { port, control } = setup();
    const change = await control.set('00000000:41:00.0', 300, 30);
    expect(change).toMatchObject({ gpu: 'GPU-1', previousW: 350, enforcedW: 300 });
    expect(port.calls).toEqual(['set GPU-1 300 30']);
    expect(control.pending().map((c) => c.changeId)).toEqual([change.changeId]);
    await control.confirm(change.changeId);
    expect(control.pending()).toEqual([]);
  });

  it("refuses a limit outside the GPU's bounds with the bounds, without calling the port", async () => {
    const { port, control } = setup();
    const err = await rejection(control.set('GPU-0', 400));
    expect(err.code).toBe('bad_request');
    expect(err.message).toContain('100–350 W');
    expect(err.details).toMatchObject({ gpu: 'GPU-0', index: 0, requestedW: 400, minW: 100, maxW: 350 });
    expect(port.calls).toEqual([]);
  });

  it('names the known GPUs for an unknown one (an index is not a name)', async () => {
    const err = await rejection(setup().control.set('0', 300));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('GPU-0 (00000000:40:00.0)');
  });

  it('revert restores and forgets; a second revert is not_found from the port', async () => {
    const { port, control } = setup();
    const change = await control.set('GPU-1', 250);
    expect(await control.revert(change.changeId)).toEqual({ changeId: change.changeId, restoredW: 350 });
    expect(port.limits.get('GPU-1')).toBe(350);
    const err = await rejection(control.revert(change.changeId));
    expect(err).toMatchObject({ code: 'not_found', details: { helperCode: 'not_found' } });
  });

  it('a new change on a GPU supersedes its pending one', async () => {
    const { control } = setup();
    await control.set('GPU-1', 250);
    const second = await control.set('GPU-1', 260);
    expect(control.pending().map((c) => c.changeId)).toEqual([second.changeId]);
  });

  it('a preset checks every GPU before changing any, then sets all', async () => {
    const { port, control } = setup([sample(0), { ...sample(1), maxPowerLimitW: 280 }]);
    const err = await rejection(control.applyPreset(300));
    expect(err.details).toMatchObject({ index: 1, maxW: 280 });
    expect(port.calls).toEqual([]);
    const preset = await control.applyPreset(250, 60);
    expect(preset.changes.map((c) => [c.gpu, c.enforcedW])).toEqual([
      ['GPU-0', 250],
      ['GPU-1', 250],
    ]);
  });

  it('a preset that fails half way reverts the GPUs it changed', async () => {
    const { port, control } = setup();
    port.failOn = 'GPU-2';
    await rejection(control.applyPreset(250));
    expect(port.calls.filter((c) => c.startsWith('revert'))).toHaveLength(2);
    expect(control.pending()).toEqual([]);
  });

  it('a preset without GPUs is unavailable', async () => {
    expect((await rejection(setup([]).control.applyPreset(250))).code).toBe('unavailable');
  });

  it('applies a model profile, confirmed at once; GPUs already there are left alone; failures are logged, not thrown', async () => {
    const { port, control } = setup();
    const log: string[] = [];
    port.failOn = 'GPU-1';
    const applied = await control.applyProfile({ id: 'm', tp: 2, gpus: [0, 1], powerLimitW: { '0': 280, '1': 300, '2': 300, '7': 250 } }, (t) => log.push(t));
    expect(applied).toEqual([
      { index: 0, uuid: 'GPU-0', requestedW: 280, enforcedW: 280 },
      { index: 1, uuid: 'GPU-1', requestedW: 300, enforcedW: null, error: 'nvidia-smi failed on GPU-1' },
      { index: 2, uuid: 'GPU-2', requestedW: 300, enforcedW: 300, unchanged: true },
      { index: 7, uuid: null, requestedW: 250, enforcedW: null, error: 'no GPU 7 (3 GPUs seen)' },
    ]);
    expect(port.calls).toEqual(['set GPU-0 280 20', 'confirm c1', 'set GPU-1 300 20']);
    expect(control.pending()).toEqual([]);
    expect(log).toEqual([
      'power profile of m: GPU 0 set to 280 W (enforced 280 W)',
      'power profile of m: GPU 1 not set to 300 W: nvidia-smi failed on GPU-1',
      'power profile of m: GPU 7 not set to 250 W: no GPU 7 (3 GPUs seen)',
    ]);
  });

  it("one number in a profile means all the model's GPUs (the first tp when it lists none)", async () => {
    const { port, control } = setup();
    await control.applyProfile({ id: 'm', tp: 2, powerLimitW: 250 }, () => undefined);
    expect(port.calls.filter((c) => c.startsWith('set'))).toEqual(['set GPU-0 250 20', 'set GPU-1 250 20']);
  });

  it('an out_of_range from the port (bounds moved since the sample) still answers with the bounds', async () => {
    const { port, control } = setup();
    port.setPowerLimit = async () => {
      throw new HelperError('out_of_range', '300 W is out of range');
    };
    const err = await rejection(control.set('GPU-0', 300));
    expect(err).toMatchObject({ code: 'bad_request', details: { minW: 100, maxW: 350, requestedW: 300 } });
  });

  it('forgets pending changes past their revert time', async () => {
    let now = Date.now();
    const port = new MemoryPowerLimits();
    const control = new GpuPowerControl(
      { latest: () => [sample(0)], findGpu: () => sample(0) },
      async () => port,
      () => now,
    );
    await control.set('GPU-0', 250, 5);
    expect(control.pending()).toHaveLength(1);
    now += 6000;
    expect(control.pending()).toHaveLength(0);
  });
});
