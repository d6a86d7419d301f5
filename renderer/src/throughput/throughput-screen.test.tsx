// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BenchResult } from '../../../shared/throughput.js';
import { ApiHub } from '../api/api-hub.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { benchResult, engineState, sample, summaryRow } from './testing/throughput-fixtures.js';
import { createThroughputStore } from './throughput-store.js';
import { ThroughputScreen } from './throughput-screen.js';

// uPlot draws on a canvas jsdom does not have; only its constructor is replaced.
const charts = vi.hoisted(() => ({ created: 0, lastData: null as unknown }));
vi.mock('uplot', () => ({
  default: class {
    width = 300;
    data: unknown;
    constructor(_opts: unknown, data: unknown) {
      charts.created++;
      this.data = data;
    }
    setData(data: unknown) {
      charts.lastData = data;
      this.data = data;
    }
    setSize() {}
    destroy() {}
  },
}));

const ROWS = [
  summaryRow(benchResult(), 3),
  summaryRow(benchResult({ powerLimitsW: [350, 350, 350, 350], tokPerS: 51.2, ttftMs: 25, tokPerW: 0.31 })),
  summaryRow(benchResult({ modelId: 'qwen2.5-7b-instruct', gpus: [0], powerLimitsW: [350], tokPerS: 140.1, ttftMs: 12, tokPerW: 0.62 }), 2),
];

describe('ThroughputScreen', () => {
  let transport: FakeTransport;
  let finishBench: (result: BenchResult) => void;
  afterEach(cleanup);

  async function mount() {
    transport = createFakeTransport({
      'state.get': async () => engineState('mistral-large-2411-awq'),
      'throughput.samples': async () => [],
      'bench.history': async () => ({ runs: [], summary: ROWS }),
      'bench.run': () => new Promise((resolve) => (finishBench = resolve)),
    });
    render(<ThroughputScreen store={createThroughputStore(new ApiHub(transport))} />);
    await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
  }
  const modelColumn = () =>
    within(screen.getByTestId('bench-table'))
      .getAllByRole('row')
      .slice(1)
      .map((r) => `${r.children[0]?.textContent}@${r.children[1]?.textContent}`);

  it('the table sorts by tok/s (best first) and re-sorts by any header, toggling direction', async () => {
    await mount();
    expect(modelColumn()).toEqual(['qwen2.5-7b-instruct@350 W', 'mistral-large-2411-awq@350 W', 'mistral-large-2411-awq@300 W']);
    fireEvent.click(screen.getByTestId('bench-sort-ttftMs'));
    expect(modelColumn()[0]).toBe('qwen2.5-7b-instruct@350 W');
    fireEvent.click(screen.getByTestId('bench-sort-ttftMs'));
    expect(modelColumn()[0]).toBe('mistral-large-2411-awq@300 W');
    expect(screen.getByTestId('bench-sort-ttftMs').closest('th')!.getAttribute('aria-sort')).toBe('descending');
    fireEvent.click(screen.getByTestId('bench-sort-runs'));
    expect(modelColumn()[0]).toBe('mistral-large-2411-awq@300 W');
  });

  it('Benchmark is disabled while it runs, then shows the result', async () => {
    await mount();
    const button = screen.getByTestId('bench-run') as HTMLButtonElement;
    fireEvent.change(screen.getByTestId('bench-model'), { target: { value: 'qwen2.5-7b-instruct' } });
    fireEvent.click(button);
    expect(button.disabled).toBe(true);
    expect(button.textContent).toBe('Benchmarking…');
    expect(transport.calls.find((c) => c.method === 'bench.run')?.params).toEqual({ model: 'qwen2.5-7b-instruct', maxTokens: 256 });
    await act(async () => finishBench(benchResult({ modelId: 'qwen2.5-7b-instruct', tokPerS: 141.3, gpus: [0], powerLimitsW: [350], tokPerW: 0.6 })));
    expect(button.disabled).toBe(false);
    expect(screen.getByTestId('bench-result').textContent).toContain('qwen2.5-7b-instruct: 141.30 tok/s · TTFT 27 ms · 256 tokens · 0.6000 tok/s per W');
  });

  it('live samples update the chart without re-creating it', async () => {
    await mount();
    const created = charts.created;
    act(() => transport.emit({ type: 'throughput', sample: sample('mistral-large-2411-awq', Date.now(), 47.9) }));
    expect(screen.getByTestId('throughput-latest').textContent).toBe('47.9 tok/s · 1 running');
    expect(charts.created).toBe(created);
    expect((charts.lastData as number[][])[1]).toEqual([47.9]);
  });
});
