import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GpuOverview } from '../../../shared/gpu-types.js';
import { ApiCallError, type ApiHandlers } from '../../../shared/switchboard-api.js';
import { ApiHub } from '../api/api-hub.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { createGpusStore, type GpusStore } from './gpus-store.js';
import { pendingChange, rtx3090Overview, rtx3090Sample, rtx3090Uuid } from './testing/rtx3090-samples.js';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const GPU1 = rtx3090Uuid(1);

describe('createGpusStore', () => {
  let transport: FakeTransport;
  let store: GpusStore;
  let stop: () => void;
  let overview: GpuOverview;

  function setup(handlers: Partial<ApiHandlers> = {}, first: GpuOverview = rtx3090Overview()) {
    overview = { ...first, samples: first.samples.map((sample) => ({ ...sample, atMs: Date.now() })) };
    transport = createFakeTransport({
      'gpu.overview': async () => overview,
      'gpu.history': async ({ gpu }) => [10, 5].map((agoS) => ({ ...rtx3090Sample(overview.samples.findIndex((s) => s.uuid === gpu)), atMs: Date.now() - agoS * 1000, utilGpuPct: agoS })),
      'gpu.setPowerLimit': async ({ gpu, watts }) =>
        pendingChange(
          overview.samples.findIndex((s) => s.uuid === gpu),
          watts,
          Date.now(),
        ),
      'gpu.confirmPowerLimit': async ({ changeId }) => ({ changeId }),
      'gpu.revertPowerLimit': async ({ changeId }) => ({ changeId, restoredW: 350 }),
      'gpu.applyPreset': async ({ watts }) => ({ watts, changes: overview.samples.map((s) => pendingChange(s.index, watts, Date.now())) }),
      ...handlers,
    });
    store = createGpusStore(new ApiHub(transport));
    stop = store.getState().start();
  }
  const calls = (method: string) => transport.calls.filter((c) => c.method === method);

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    stop();
    vi.useRealTimers();
  });

  it('reads the overview, then each GPU’s history, and follows gpu.sample events', async () => {
    setup();
    await vi.advanceTimersByTimeAsync(0);
    const s = store.getState();
    expect(s.status).toBe('ready');
    expect(s.samples.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(calls('gpu.history')).toHaveLength(6);
    expect(calls('gpu.history')[0]?.params).toEqual({ gpu: rtx3090Uuid(0), sinceMs: T0 - 15 * 60_000 });
    // two history points, then the overview's sample
    expect(s.history[GPU1]?.[0]).toEqual([(T0 - 10_000) / 1000, (T0 - 5000) / 1000, T0 / 1000]);
    transport.emit({ type: 'gpu.sample', samples: [rtx3090Sample(1, { atMs: T0 + 1000, utilGpuPct: 97, powerDrawW: 341.2 })], host: null });
    expect(store.getState().samples[1]?.utilGpuPct).toBe(97);
    const history = store.getState().history[GPU1];
    if (!history) throw new Error('no history for GPU 1');
    const [x, util, , , power] = history;
    expect(x.at(-1)).toBe((T0 + 1000) / 1000);
    expect(util?.at(-1)).toBe(97);
    expect(power?.at(-1)).toBe(341.2);
  });

  it('keeps the history bounded', async () => {
    overview = rtx3090Overview();
    transport = createFakeTransport({ 'gpu.overview': async () => overview, 'gpu.history': async () => [] });
    store = createGpusStore(new ApiHub(transport), { historyPoints: 60 });
    stop = store.getState().start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 1; i <= 500; i++) transport.emit({ type: 'gpu.sample', samples: [rtx3090Sample(1, { atMs: T0 + i * 1000 })], host: null });
    expect(store.getState().history[GPU1]?.[0]).toHaveLength(60);
  });

  it('shows why GPUs are unavailable', async () => {
    setup({ 'gpu.overview': async () => ({ ...rtx3090Overview({ samples: [] }), available: false, reason: 'no NVIDIA GPU found (nvidia-smi not found at nvidia-smi)' }) });
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().status).toBe('unavailable');
    expect(store.getState().reason).toBe('no NVIDIA GPU found (nvidia-smi not found at nvidia-smi)');
    expect(calls('gpu.history')).toHaveLength(0);
  });

  it('refuses an out-of-range limit without calling the engine (not clamped)', async () => {
    setup();
    await vi.advanceTimersByTimeAsync(0);
    store.getState().setDraft(GPU1, 400);
    await store.getState().applyPowerLimit(GPU1);
    expect(calls('gpu.setPowerLimit')).toHaveLength(0);
    expect(store.getState().errors[GPU1]?.message).toBe("Refused: 400 W is outside this GPU's range 100–350 W.");
    expect(store.getState().drafts[GPU1]).toBe(400);
  });

  it('apply → countdown to revertAt; Confirm stops it and keeps the limit', async () => {
    setup();
    await vi.advanceTimersByTimeAsync(0);
    store.getState().setDraft(GPU1, 300);
    await store.getState().applyPowerLimit(GPU1);
    expect(calls('gpu.setPowerLimit')[0]?.params).toEqual({ gpu: GPU1, watts: 300 });
    const pending = store.getState().changes[GPU1];
    expect(pending).toMatchObject({ kind: 'pending', watts: 300, deadlineMs: T0 + 20_000 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(store.getState().nowMs).toBe(T0 + 5_000);
    await store.getState().confirmPowerLimit(GPU1);
    expect(calls('gpu.confirmPowerLimit')[0]?.params).toEqual({ changeId: 'chg-1-300' });
    expect(store.getState().changes[GPU1]).toEqual({ kind: 'confirmed', watts: 300 });
    const overviewReads = calls('gpu.overview').length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(store.getState().changes[GPU1]?.kind).toBe('confirmed');
    expect(store.getState().nowMs).toBe(T0 + 5_000); // the countdown stopped
    expect(calls('gpu.overview')).toHaveLength(overviewReads);
  });

  it('when the countdown ends the card shows the limit reverted and the overview is read again', async () => {
    setup();
    await vi.advanceTimersByTimeAsync(0);
    store.getState().setDraft(GPU1, 250);
    await store.getState().applyPowerLimit(GPU1);
    await vi.advanceTimersByTimeAsync(19_000);
    expect(store.getState().changes[GPU1]?.kind).toBe('pending');
    expect(calls('gpu.overview')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.getState().changes[GPU1]).toEqual({ kind: 'reverted', restoredW: 350, why: 'expired' });
    expect(store.getState().drafts[GPU1]).toBeUndefined();
    expect(calls('gpu.overview')).toHaveLength(2);
  });

  it('Revert now restores the old limit and re-reads', async () => {
    setup();
    await vi.advanceTimersByTimeAsync(0);
    store.getState().setDraft(GPU1, 280);
    await store.getState().applyPowerLimit(GPU1);
    await store.getState().revertPowerLimit(GPU1);
    expect(calls('gpu.revertPowerLimit')[0]?.params).toEqual({ changeId: 'chg-1-280' });
    expect(store.getState().changes[GPU1]).toEqual({ kind: 'reverted', restoredW: 350, why: 'manual' });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls('gpu.overview')).toHaveLength(2);
  });

  it('shows the engine’s refusal with the GPU’s range, and an unreachable helper', async () => {
    const refuse = new ApiCallError({ code: 'bad_request', message: "300 W is outside GPU 1's power limit range 100–250 W", details: { minW: 100, maxW: 250 } });
    setup({ 'gpu.setPowerLimit': async () => Promise.reject(refuse) });
    await vi.advanceTimersByTimeAsync(0);
    store.getState().setDraft(GPU1, 300);
    await store.getState().applyPowerLimit(GPU1);
    expect(store.getState().errors[GPU1]).toMatchObject({ code: 'bad_request', minW: 100, maxW: 250 });
    expect(store.getState().errors[GPU1]?.message).toContain('(allowed 100–250 W)');
    expect(store.getState().changes[GPU1]).toBeUndefined();

    const helperDown = new ApiCallError({ code: 'unavailable', message: 'the helper is not running at /run/sglang-switchboard/helper.sock' });
    setup({ 'gpu.setPowerLimit': async () => Promise.reject(helperDown) });
    await vi.advanceTimersByTimeAsync(0);
    store.getState().setDraft(GPU1, 300);
    await store.getState().applyPowerLimit(GPU1);
    expect(store.getState().errors[GPU1]?.message).toBe('Power limits are unavailable: the helper is not running at /run/sglang-switchboard/helper.sock');
  });

  it('shows changes the engine reports as pending (made before this screen opened)', async () => {
    setup({}, rtx3090Overview({ pendingPowerLimits: [pendingChange(3, 300, T0, 12, 'chg-other')] }));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState().changes[rtx3090Uuid(3)]).toMatchObject({ kind: 'pending', watts: 300, deadlineMs: T0 + 12_000 });
    await vi.advanceTimersByTimeAsync(12_000);
    expect(store.getState().changes[rtx3090Uuid(3)]?.kind).toBe('reverted');
  });

  describe('presets', () => {
    it('apply → every GPU pending with one countdown; Confirm all confirms each change', async () => {
      setup();
      await vi.advanceTimersByTimeAsync(0);
      await store.getState().applyPreset(300);
      expect(calls('gpu.applyPreset')[0]?.params).toEqual({ watts: 300 });
      const { preset, changes } = store.getState();
      expect(preset).toMatchObject({ kind: 'pending', watts: 300, deadlineMs: T0 + 20_000 });
      expect(Object.values(changes).map((c) => c.kind)).toEqual(Array(6).fill('pending'));
      await store.getState().confirmPreset();
      expect(
        calls('gpu.confirmPowerLimit')
          .map((c) => (c.params as { changeId: string }).changeId)
          .sort(),
      ).toEqual([0, 1, 2, 3, 4, 5].map((i) => `chg-${i}-300`));
      expect(store.getState().preset).toEqual({ kind: 'confirmed', watts: 300 });
      expect(Object.values(store.getState().changes).map((c) => c.kind)).toEqual(Array(6).fill('confirmed'));
    });

    it('expires like a single change: shown reverted, overview re-read', async () => {
      setup();
      await vi.advanceTimersByTimeAsync(0);
      await store.getState().applyPreset(250);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(store.getState().preset).toEqual({ kind: 'reverted', watts: 250, why: 'expired' });
      expect(Object.values(store.getState().changes).every((c) => c.kind === 'reverted')).toBe(true);
      expect(calls('gpu.overview')).toHaveLength(2);
    });

    it('Revert all reverts each change', async () => {
      setup();
      await vi.advanceTimersByTimeAsync(0);
      await store.getState().applyPreset(250);
      await store.getState().revertPreset();
      expect(calls('gpu.revertPowerLimit')).toHaveLength(6);
      expect(store.getState().preset).toEqual({ kind: 'reverted', watts: 250, why: 'manual' });
    });

    it('is refused when a GPU’s range excludes it', async () => {
      setup({}, rtx3090Overview({ samples: [rtx3090Sample(0), rtx3090Sample(1, { minPowerLimitW: 150 })] }));
      await vi.advanceTimersByTimeAsync(0);
      await store.getState().applyPreset(120);
      expect(calls('gpu.applyPreset')).toHaveLength(0);
      expect(store.getState().preset).toEqual({ kind: 'error', watts: 120, message: "Refused: GPU 1: 120 W is outside this GPU's range 150–350 W." });
    });
  });
});
