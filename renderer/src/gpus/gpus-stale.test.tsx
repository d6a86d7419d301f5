// @vitest-environment jsdom
// The GPUs screen when nvidia-smi hangs: no samples come; the engine's state says the readings turned stale,
// the screen shows that with the engine's reason (read again while it lasts) and clears it when samples come.
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GpuOverview, GpuStaleness } from '../../../shared/gpu-types.js';
import { ApiHub } from '../api/api-hub.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { createGpusStore } from './gpus-store.js';
import { GpusScreen } from './gpus-screen.js';
import { rtx3090Sample } from './testing/rtx3090-samples.js';

// uPlot draws on a canvas jsdom does not have.
vi.mock('uplot', () => ({
  default: class {
    width = 300;
    setData() {}
    setSize() {}
    destroy() {}
  },
}));

const T0 = Date.parse('2026-01-01T12:00:00Z');
const REASON = 'nvidia-smi has not answered for 12 s (the hung nvidia-smi (pid 4242) was killed after 15 s; retrying)';

describe('GpusScreen with stale readings', () => {
  let transport: FakeTransport;
  let current: GpuOverview;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    current = { available: true, samples: [0, 1].map((i) => rtx3090Sample(i, { atMs: T0 })), host: null, topology: null, nvlink: null, nvlinkSets: [], presetsW: [], pendingPowerLimits: [] };
    transport = createFakeTransport({ 'gpu.overview': async () => current, 'gpu.history': async () => [] });
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });
  const tick = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));
  const overviewCalls = () => transport.calls.filter((c) => c.method === 'gpu.overview').length;

  const engineSays = (stale?: GpuStaleness) => act(() => transport.emit({ type: 'state', state: sampleEngineState({}, { gpu: { available: true, gpuCount: 2, ...(stale ? { stale } : {}) } }) }));

  it('shows the reason when the engine says stale, dims the cards, follows the age, and clears when samples come again', async () => {
    render(<GpusScreen store={createGpusStore(new ApiHub(transport), { staleCheckMs: 5_000 })} />);
    await tick(0);
    expect(screen.getByTestId('gpu-card-1')).toBeTruthy();
    expect(screen.queryByTestId('gpu-stale')).toBeNull();

    // Samples keep coming and the state says fresh: no extra overview reads.
    for (let i = 1; i <= 10; i++) {
      act(() => transport.emit({ type: 'gpu.sample', samples: [rtx3090Sample(0, { atMs: T0 + i * 1000 })], host: null }));
      engineSays();
      await tick(1000);
    }
    expect(overviewCalls()).toBe(1);
    expect(screen.queryByTestId('gpu-stale')).toBeNull();

    // nvidia-smi hangs: no samples; the engine's state (sent when it turns stale) says so.
    current = { ...current, stale: { sinceMs: T0 + 10_000, reason: REASON } };
    engineSays(current.stale);
    await tick(0);
    const note = screen.getByTestId('gpu-stale');
    expect(note.getAttribute('role')).toBe('alert');
    expect(note.textContent).toBe(`Readings are stale: ${REASON}. The values below are the last ones it gave; models and the router are not affected.`);
    expect(screen.getByLabelText('GPUs').className).toContain('gpus-stale');
    expect(screen.getByTestId('gpu-card-0')).toBeTruthy(); // the last readings stay on screen

    // While stale, it reads the overview again: the age in the reason follows.
    current = { ...current, stale: { sinceMs: T0 + 10_000, reason: REASON.replace('12 s', '17 s') } };
    await tick(5_000);
    expect(overviewCalls()).toBe(2);
    expect(screen.getByTestId('gpu-stale').textContent).toContain('nvidia-smi has not answered for 17 s');

    // It answers again.
    current = { ...current, stale: undefined };
    act(() => transport.emit({ type: 'gpu.sample', samples: [rtx3090Sample(0, { atMs: T0 + 30_000 })], host: null }));
    await tick(0);
    expect(screen.queryByTestId('gpu-stale')).toBeNull();
    expect(screen.getByLabelText('GPUs').className).not.toContain('gpus-stale');
    await tick(20_000);
    expect(overviewCalls()).toBe(2); // fresh: no more polling
  });
});
