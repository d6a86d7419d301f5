import type { EngineState, ModelView } from '../../../../shared/engine-state.js';
import type { BenchResult, BenchSummaryRow, ThroughputSample } from '../../../../shared/throughput.js';

/** The demo catalog's three models (README "Quick start"). */
const MODELS: [id: string, label: string, tp: number][] = [
  ['qwen2.5-7b-instruct', 'Qwen2.5 7B Instruct', 1],
  ['mistral-large-2411-awq', 'Mistral Large 2411 (AWQ)', 4],
  ['kat-dev-awq-8bit', 'KAT-Dev (AWQ 8-bit)', 2],
];

export function engineState(activeModel: string | null): EngineState {
  const models: ModelView[] = MODELS.map(([id, label, tp]) => ({
    id,
    label,
    aliases: [],
    kind: 'launch',
    status: id === activeModel ? 'loaded' : 'unloaded',
    typicalLoadMs: null,
    tp,
    inFlight: 0,
    queued: 0,
  }));
  return {
    version: '0.1.0',
    startedAtMs: 0,
    activeModel,
    activeModels: activeModel ? [activeModel] : [],
    preload: [],
    defaultModel: null,
    slots: [],
    models,
    requests: [],
    configPath: '/tmp/switchboard.yaml',
    notices: [],
  };
}

export function sample(modelId: string, atMs: number, genTokPerS: number, source: ThroughputSample['source'] = 'log'): ThroughputSample {
  return { modelId, atMs, genTokPerS, runningReqs: 1, source };
}

/** The README's benchmark line: mistral at 300 W, 48.54 tok/s. */
export function benchResult(overrides: Partial<BenchResult> = {}): BenchResult {
  return {
    modelId: 'mistral-large-2411-awq',
    atMs: 1_760_000_000_000,
    tokPerS: 48.54,
    ttftMs: 27,
    tokens: 256,
    gpus: [1, 2, 3, 4],
    powerLimitsW: [300, 300, 300, 300],
    powerDrawW: 134.2,
    tokPerW: 0.3617,
    ...overrides,
  };
}

export function summaryRow(result: BenchResult, runs = 1): BenchSummaryRow {
  return {
    modelId: result.modelId,
    powerLimitW: result.powerLimitsW[0] ?? null,
    powerLimitsW: result.powerLimitsW,
    runs,
    tokPerS: result.tokPerS,
    bestTokPerS: result.tokPerS,
    ttftMs: result.ttftMs,
    tokPerW: result.tokPerW,
    lastAtMs: result.atMs,
  };
}
