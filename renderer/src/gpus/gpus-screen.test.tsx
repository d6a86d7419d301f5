// @vitest-environment jsdom
/// <reference types="vite/client" />
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseNvlinkStatus } from '../../../shared/parse-nvlink-status.js';
import { parseTopoMatrix } from '../../../shared/parse-topo-matrix.js';
import type { GpuOverview, GpuSample } from '../../../shared/gpu-types.js';
import { ApiCallError, type ApiHandlers } from '../../../shared/switchboard-api.js';
import nvlinkText from '../../../test/fixtures/nvidia-smi/nvlink-s-rtxa6000x3-2bridged-1inactive.txt?raw';
import topoText from '../../../test/fixtures/nvidia-smi/topo-m-rtxa6000x3-nv4-node-ansi.txt?raw';
import { ApiHub } from '../api/api-hub.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { createGpusStore } from './gpus-store.js';
import { GpusScreen } from './gpus-screen.js';
import { rtx3090Sample } from './testing/rtx3090-samples.js';

// uPlot draws on a canvas jsdom does not have; only its constructor is replaced.
const charts = vi.hoisted(() => ({ created: 0, data: [] as unknown[] }));
vi.mock('uplot', () => ({
  default: class {
    width = 300;
    data: unknown;
    constructor(_opts: unknown, data: unknown) {
      charts.created++;
      this.data = data;
    }
    setData(data: unknown) {
      charts.data.push(data);
      this.data = data;
    }
    setSize() {}
    destroy() {}
  },
}));

const T0 = Date.parse('2026-01-01T12:00:00Z');
const nvlink = parseNvlinkStatus(nvlinkText);
const topology = parseTopoMatrix(topoText);

/** The three RTX A6000s of the topo/nvlink captures (UUIDs from the capture; readings as an idle GA102). */
function a6000(index: number, overrides: Partial<GpuSample> = {}): GpuSample {
  const captured = nvlink[index];
  if (!captured) throw new RangeError(`the nvlink capture has GPUs 0–${nvlink.length - 1}, not ${index}`);
  return rtx3090Sample(index, {
    uuid: captured.uuid,
    name: captured.name,
    busId: `00000000:${['41', '61', 'C1'][index]}:00.0`,
    maxPowerLimitW: 300,
    powerLimitW: 300,
    enforcedPowerLimitW: 300,
    defaultPowerLimitW: 300,
    atMs: T0,
    ...overrides,
  });
}

function overview(overrides: Partial<GpuOverview> = {}): GpuOverview {
  return { available: true, samples: [0, 1, 2].map((i) => a6000(i)), host: null, topology, nvlink, nvlinkSets: [[0, 1]], presetsW: [200, 250, 300], pendingPowerLimits: [], ...overrides };
}

describe('GpusScreen', () => {
  let transport: FakeTransport;

  async function mount(handlers: Partial<ApiHandlers> = {}) {
    transport = createFakeTransport({
      'gpu.overview': async () => overview(),
      'gpu.history': async () => [],
      'gpu.setPowerLimit': async ({ gpu, watts }) => ({ changeId: `chg-${watts}`, gpu, previousW: 300, enforcedW: watts, revertAt: new Date(Date.now() + 20_000).toISOString() }),
      'gpu.confirmPowerLimit': async ({ changeId }) => ({ changeId }),
      'gpu.revertPowerLimit': async ({ changeId }) => ({ changeId, restoredW: 300 }),
      'gpu.applyPreset': async ({ watts }) => ({
        watts,
        changes: nvlink.map((n, i) => ({ changeId: `p-${i}`, gpu: n.uuid, previousW: 300, enforcedW: watts, revertAt: new Date(Date.now() + 20_000).toISOString() })),
      }),
      ...handlers,
    });
    render(<GpusScreen store={createGpusStore(new ApiHub(transport))} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
  }
  const tick = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('a card per GPU with its readings, history chart and NVLinks', async () => {
    await mount();
    const card = screen.getByTestId('gpu-card-1');
    expect(within(card).getByRole('heading').textContent).toBe('GPU 1NVIDIA RTX A6000');
    expect(within(card).getByText('00000000:61:00.0 · P8')).toBeTruthy();
    expect(screen.getByTestId('gpu-power-1').textContent).toBe('30.1 W of 300 W limit');
    expect(within(card).getByText('NVLink ↔ 0')).toBeTruthy();
    expect(screen.getByTestId('gpu-nvlink-1').textContent).toContain('4 of 4 links active');
    expect(screen.getByTestId('gpu-nvlink-2').textContent).toContain('all links are inActive');
    expect(charts.created).toBe(3);
    act(() => transport.emit({ type: 'gpu.sample', samples: [a6000(1, { atMs: T0 + 1000, utilGpuPct: 88 })], host: null }));
    expect(screen.getByTestId('gpu-util-1').textContent).toBe('88 %');
    expect(charts.created).toBe(3); // new data goes through setData, the chart is not re-created
  });

  it('the topology matrix marks the NVLink pair and lists the sets', async () => {
    await mount();
    const matrix = screen.getByTestId('topology-matrix');
    const nvCells = matrix.querySelectorAll('td[data-kind="nvlink"]');
    expect([...nvCells].map((c) => c.getAttribute('title'))).toEqual(['GPU0 ↔ GPU1: 4 bonded NVLinks', 'GPU1 ↔ GPU0: 4 bonded NVLinks']);
    expect(matrix.querySelectorAll('td[data-kind="pcie-host"]')).toHaveLength(4);
    expect(screen.getByText('Connection traversing a bonded set of # NVLinks')).toBeTruthy();
    expect(screen.getByTestId('nvlink-sets').textContent).toBe('GPU 0 ↔ GPU 1');
  });

  it('slider: bounded by the sample, arrow keys step 1 W, typed out-of-range values are refused', async () => {
    await mount();
    const slider = screen.getByTestId('power-slider-1') as HTMLInputElement;
    expect([slider.min, slider.max, slider.step, slider.value]).toEqual(['100', '300', '1', '300']);
    fireEvent.keyDown(slider, { key: 'ArrowDown' });
    fireEvent.keyDown(slider, { key: 'ArrowDown' });
    expect((screen.getByTestId('power-input-1') as HTMLInputElement).value).toBe('298');
    expect(slider.getAttribute('aria-valuetext')).toBe('298 W');
    fireEvent.keyDown(slider, { key: 'End' });
    fireEvent.keyDown(slider, { key: 'ArrowUp' });
    expect((screen.getByTestId('power-input-1') as HTMLInputElement).value).toBe('300');
    fireEvent.change(screen.getByTestId('power-input-1'), { target: { value: '350' } });
    expect(screen.getByTestId('power-refusal-1').textContent).toBe("350 W is outside this GPU's range 100–300 W.");
    expect((screen.getByTestId('power-apply-1') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('power-input-1') as HTMLInputElement).value).toBe('350'); // not clamped
  });

  it('apply → countdown → confirm', async () => {
    await mount();
    fireEvent.change(screen.getByTestId('power-slider-1'), { target: { value: '250' } });
    fireEvent.click(screen.getByTestId('power-apply-1'));
    await tick(0);
    expect(screen.getByTestId('power-countdown-1').textContent).toContain('250 W set · reverts to 300 W in 20 s unless confirmed');
    await tick(6_000);
    expect(screen.getByTestId('power-seconds-1').textContent).toBe('14 s');
    fireEvent.click(screen.getByTestId('power-confirm-1'));
    await tick(0);
    expect(screen.queryByTestId('power-countdown-1')).toBeNull();
    expect(screen.getByTestId('power-outcome-1').textContent).toContain('Kept 250 W.');
    expect(transport.calls.filter((c) => c.method === 'gpu.confirmPowerLimit')).toEqual([{ method: 'gpu.confirmPowerLimit', params: { changeId: 'chg-250' } }]);
  });

  it('when nobody confirms, the card says it reverted and the overview is re-read', async () => {
    await mount();
    fireEvent.change(screen.getByTestId('power-slider-0'), { target: { value: '200' } });
    fireEvent.click(screen.getByTestId('power-apply-0'));
    await tick(20_000);
    expect(screen.getByTestId('power-outcome-0').textContent).toContain('Not confirmed in time: reverted to 300 W.');
    expect(transport.calls.filter((c) => c.method === 'gpu.overview')).toHaveLength(2);
  });

  it('shows the engine’s errors on the card', async () => {
    await mount({ 'gpu.setPowerLimit': async () => Promise.reject(new ApiCallError({ code: 'unavailable', message: 'cannot reach the helper at /run/sglang-switchboard/helper.sock' })) });
    fireEvent.change(screen.getByTestId('power-slider-2'), { target: { value: '220' } });
    fireEvent.click(screen.getByTestId('power-apply-2'));
    await tick(0);
    expect(screen.getByTestId('power-error-2').textContent).toContain('Power limits are unavailable: cannot reach the helper at /run/sglang-switchboard/helper.sock');
  });

  it('a preset sets every GPU pending; Confirm all keeps them', async () => {
    await mount();
    fireEvent.click(screen.getByTestId('preset-250'));
    await tick(0);
    expect(screen.getByTestId('preset-countdown').textContent).toContain('Every GPU at 250 W · reverts in 20 s');
    expect(screen.getAllByText(/set by the preset/)).toHaveLength(3);
    expect((screen.getByTestId('preset-200') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('preset-confirm'));
    await tick(0);
    expect(screen.getByText('Kept 250 W on every GPU.')).toBeTruthy();
    expect(transport.calls.filter((c) => c.method === 'gpu.confirmPowerLimit')).toHaveLength(3);
  });

  it('says why GPUs are unavailable', async () => {
    await mount({ 'gpu.overview': async () => overview({ available: false, reason: 'no NVIDIA GPU found (nvidia-smi not found at nvidia-smi)', samples: [] }) });
    expect(screen.getByTestId('gpu-unavailable').textContent).toBe('GPU telemetry is unavailable: no NVIDIA GPU found (nvidia-smi not found at nvidia-smi)');
  });
});
