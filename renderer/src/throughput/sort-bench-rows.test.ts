import { describe, expect, it } from 'vitest';
import type { BenchSummaryRow } from '../../../shared/throughput.js';
import { nextSort, sortBenchRows } from './sort-bench-rows.js';

function row(modelId: string, powerLimitW: number | null, tokPerS: number, extra: Partial<BenchSummaryRow> = {}): BenchSummaryRow {
  return { modelId, powerLimitW, powerLimitsW: [powerLimitW], runs: 1, tokPerS, bestTokPerS: tokPerS, ttftMs: 30, tokPerW: powerLimitW ? tokPerS / powerLimitW : null, lastAtMs: 0, ...extra };
}

const ROWS = [
  row('mistral-large-2411-awq', 300, 48.54, { ttftMs: 27, runs: 3 }),
  row('mistral-large-2411-awq', 350, 51.2, { ttftMs: 25 }),
  row('qwen2.5-7b-instruct', 350, 140.1, { ttftMs: 12, runs: 2 }),
  row('kat-dev-awq-8bit', null, 60, { powerLimitsW: [300, null], ttftMs: 40 }),
];
const models = (rows: BenchSummaryRow[]) => rows.map((r) => `${r.modelId}@${r.powerLimitW ?? '?'}`);

describe('sortBenchRows', () => {
  it('by tok/s, best first and then ascending', () => {
    expect(models(sortBenchRows(ROWS, { key: 'tokPerS', direction: 'desc' }))).toEqual(['qwen2.5-7b-instruct@350', 'kat-dev-awq-8bit@?', 'mistral-large-2411-awq@350', 'mistral-large-2411-awq@300']);
    expect(models(sortBenchRows(ROWS, { key: 'tokPerS', direction: 'asc' }))[0]).toBe('mistral-large-2411-awq@300');
  });

  it('unknown values stay last in both directions', () => {
    expect(models(sortBenchRows(ROWS, { key: 'tokPerW', direction: 'desc' })).at(-1)).toBe('kat-dev-awq-8bit@?');
    expect(models(sortBenchRows(ROWS, { key: 'tokPerW', direction: 'asc' })).at(-1)).toBe('kat-dev-awq-8bit@?');
    expect(models(sortBenchRows(ROWS, { key: 'powerLimitW', direction: 'asc' })).at(-1)).toBe('kat-dev-awq-8bit@?');
  });

  it('by model name, ties by newest run; by TTFT', () => {
    expect(models(sortBenchRows(ROWS, { key: 'modelId', direction: 'asc' }))[0]).toBe('kat-dev-awq-8bit@?');
    expect(models(sortBenchRows(ROWS, { key: 'ttftMs', direction: 'asc' }))[0]).toBe('qwen2.5-7b-instruct@350');
    expect(models(sortBenchRows(ROWS, { key: 'runs', direction: 'desc' }))[0]).toBe('mistral-large-2411-awq@300');
  });

  it('does not change the input', () => {
    const copy = [...ROWS];
    sortBenchRows(ROWS, { key: 'tokPerS', direction: 'asc' });
    expect(ROWS).toEqual(copy);
  });
});

describe('nextSort', () => {
  it('flips the same column, starts another in its default direction', () => {
    expect(nextSort({ key: 'tokPerS', direction: 'desc' }, 'tokPerS')).toEqual({ key: 'tokPerS', direction: 'asc' });
    expect(nextSort({ key: 'tokPerS', direction: 'desc' }, 'modelId')).toEqual({ key: 'modelId', direction: 'asc' });
    expect(nextSort({ key: 'modelId', direction: 'asc' }, 'ttftMs')).toEqual({ key: 'ttftMs', direction: 'asc' });
    expect(nextSort({ key: 'modelId', direction: 'asc' }, 'tokPerW')).toEqual({ key: 'tokPerW', direction: 'desc' });
  });
});
