import { afterEach, describe, expect, it } from 'vitest';
import type { BenchResult, BenchSummaryRow } from '../../../shared/throughput.js';
import { ApiCallError, type ApiHandlers } from '../../../shared/switchboard-api.js';
import { ApiHub } from '../api/api-hub.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { benchResult, engineState, sample, summaryRow } from './testing/throughput-fixtures.js';
import { createThroughputStore, type ThroughputStore } from './throughput-store.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const NOW = Date.now();

describe('createThroughputStore', () => {
  let transport: FakeTransport;
  let store: ThroughputStore;
  let stop: () => void = () => undefined;
  let summary: BenchSummaryRow[];
  afterEach(() => stop());

  function setup(active: string | null, handlers: Partial<ApiHandlers> = {}) {
    summary = [];
    transport = createFakeTransport({
      'state.get': async () => engineState(active),
      'throughput.samples': async ({ model }) => [sample(model, NOW - 2000, 40), sample(model, NOW - 1000, 42, 'metrics')],
      'bench.history': async () => ({ runs: [], summary }),
      ...handlers,
    });
    store = createThroughputStore(new ApiHub(transport));
    stop = store.getState().start();
  }

  it('charts the active model: its recent samples, then live ones; other models are ignored', async () => {
    setup('mistral-large-2411-awq');
    await settle();
    expect(store.getState().chartModel).toBe('mistral-large-2411-awq');
    expect(store.getState().benchModel).toBe('mistral-large-2411-awq');
    expect(transport.calls.find((c) => c.method === 'throughput.samples')?.params).toMatchObject({ model: 'mistral-large-2411-awq' });
    transport.emit({ type: 'throughput', sample: sample('mistral-large-2411-awq', NOW, 48.5) });
    transport.emit({ type: 'throughput', sample: sample('qwen2.5-7b-instruct', NOW + 1, 140) });
    const [x, log, metrics] = store.getState().chart;
    expect(x).toEqual([(NOW - 2000) / 1000, (NOW - 1000) / 1000, NOW / 1000]);
    expect(log).toEqual([40, null, 48.5]);
    expect(metrics).toEqual([null, 42, null]);
    expect(store.getState().latest?.genTokPerS).toBe(48.5);
  });

  it('follows a switch: the chart moves to the new active model', async () => {
    setup('mistral-large-2411-awq');
    await settle();
    transport.emit({ type: 'state', state: engineState('qwen2.5-7b-instruct') });
    await settle();
    expect(store.getState().chartModel).toBe('qwen2.5-7b-instruct');
    expect(store.getState().chart[0]).toHaveLength(2);
    // the user's bench choice is not changed by a switch
    expect(store.getState().benchModel).toBe('mistral-large-2411-awq');
  });

  it('with several active models, charts the one that became ready last', async () => {
    setup('mistral-large-2411-awq');
    await settle();
    const both = { ...engineState('mistral-large-2411-awq'), activeModels: ['mistral-large-2411-awq', 'qwen2.5-7b-instruct'] };
    transport.emit({ type: 'state', state: both });
    await settle();
    expect(store.getState().chartModel).toBe('qwen2.5-7b-instruct');
    // qwen idles out: the chart stays until another model arrives
    transport.emit({ type: 'state', state: engineState('mistral-large-2411-awq') });
    await settle();
    expect(store.getState().chartModel).toBe('qwen2.5-7b-instruct');
  });

  it('with no active model, charts the model samples come from', async () => {
    setup(null);
    await settle();
    expect(store.getState().chartModel).toBeNull();
    transport.emit({ type: 'throughput', sample: sample('kat-dev-awq-8bit', NOW, 30) });
    await settle();
    expect(store.getState().chartModel).toBe('kat-dev-awq-8bit');
  });

  it('the benchmark: running while bench.run is out, then the result and the table re-read', async () => {
    let finish!: (result: BenchResult) => void;
    setup('mistral-large-2411-awq', { 'bench.run': () => new Promise((resolve) => (finish = resolve)) });
    await settle();
    const run = store.getState().runBench();
    expect(store.getState().bench).toEqual({ kind: 'running', modelId: 'mistral-large-2411-awq' });
    void store.getState().runBench(); // a second click while running does nothing
    expect(transport.calls.filter((c) => c.method === 'bench.run')).toEqual([{ method: 'bench.run', params: { model: 'mistral-large-2411-awq', maxTokens: 256 } }]);
    summary = [summaryRow(benchResult())];
    finish(benchResult());
    await run;
    expect(store.getState().bench).toEqual({ kind: 'done', result: benchResult() });
    expect(store.getState().summary).toEqual(summary);
  });

  it('a refused benchmark shows why and re-enables the button', async () => {
    setup('mistral-large-2411-awq', { 'bench.run': async () => Promise.reject(new ApiCallError({ code: 'conflict', message: 'a benchmark is already running' })) });
    await settle();
    await store.getState().runBench();
    expect(store.getState().bench).toEqual({ kind: 'error', modelId: 'mistral-large-2411-awq', message: 'a benchmark is already running' });
  });

  it('bench events (e.g. from the CLI) show the result and update the table; bursts collapse into few reads', async () => {
    setup('mistral-large-2411-awq');
    await settle();
    const before = transport.calls.filter((c) => c.method === 'bench.history').length;
    summary = [summaryRow(benchResult({ tokPerS: 51 }))];
    for (let i = 0; i < 5; i++) transport.emit({ type: 'bench', result: benchResult({ tokPerS: 51 }) });
    await settle();
    expect(store.getState().lastResult?.tokPerS).toBe(51);
    expect(store.getState().summary[0]?.tokPerS).toBe(51);
    expect(transport.calls.filter((c) => c.method === 'bench.history').length - before).toBeLessThanOrEqual(2);
  });
});
