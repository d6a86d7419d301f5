import { describe, expect, it } from 'vitest';
import type { EngineState, ModelView, SlotView } from '../../shared/engine-state.js';
import { formatModels } from './models-command.js';
import { formatStatus } from './status-command.js';

// The status and models reports for warm models (sleeping, waking) next to the usual states.

const NOW = 1_750_000_000_000;

function slot(patch: Partial<SlotView>): SlotView {
  return { id: 'gpu0', status: 'stopped', modelId: null, host: '127.0.0.1', port: 8001, queue: [], ...patch };
}

function state(slots: SlotView[]): EngineState {
  const active = slots.filter((s) => s.status === 'ready' && s.modelId).map((s) => s.modelId!);
  return {
    version: '0.1.0',
    startedAtMs: NOW - 65_000,
    activeModel: active[0] ?? null,
    activeModels: active,
    preload: [],
    defaultModel: null,
    slots,
    models: [],
    requests: [],
    configPath: '/c.yaml',
    notices: [],
  };
}

describe('formatStatus', () => {
  it('shows a ready slot, a warm model asleep, one going to sleep and one waking', () => {
    const text = formatStatus(
      state([
        slot({ status: 'ready', modelId: 'coder', readyAtMs: NOW - 30_000, pid: 11 }),
        slot({ id: 'gpu1.qwen', port: 8002, status: 'sleeping', modelId: 'qwen', pid: 12 }),
        slot({ id: 'gpu2.kat', port: 8003, status: 'releasing', modelId: 'kat', pid: 13 }),
        slot({ id: 'gpu3.mistral', port: 8004, status: 'waking', modelId: 'mistral', pid: 14, etaMs: 4_000, queue: [] }),
      ]),
      'http://127.0.0.1:8002',
      NOW,
    );
    expect(text.split('\n')).toEqual([
      'engine   http://127.0.0.1:8002 · v0.1.0 · up 1m05s',
      'config   /c.yaml',
      'active   coder',
      '',
      'slot gpu0  ready  coder  (127.0.0.1:8001, pid 11)',
      '  ready    for 0m30s',
      '',
      'slot gpu1.qwen  sleeping  qwen  (127.0.0.1:8002, pid 12)',
      '  asleep   GPU memory released, server kept; a request or "switchboard switch" wakes it',
      '',
      'slot gpu2.kat  releasing  kat  (127.0.0.1:8003, pid 13)',
      '  sleep    putting kat to sleep (releasing its GPU memory)',
      '',
      'slot gpu3.mistral  waking  mistral  (127.0.0.1:8004, pid 14)',
      '  waking   ETA ~0m04s',
    ]);
  });
});

describe('formatStatus request limits', () => {
  it('names a model at its maxConcurrent or with requests queued, and no other', () => {
    const base = { kind: 'launch' as const, status: 'loaded' as const, typicalLoadMs: null, tp: 1, aliases: [] };
    const s = state([slot({ status: 'ready', modelId: 'coder', readyAtMs: NOW, pid: 11 })]);
    s.models = [
      { ...base, id: 'coder', label: 'Coder', inFlight: 2, queued: 3, limit: { maxConcurrent: 2, maxQueued: 4 } },
      { ...base, id: 'chat', label: 'Chat', inFlight: 1, queued: 0, limit: { maxConcurrent: 2, maxQueued: 4 } },
      { ...base, id: 'embed', label: 'Embed', inFlight: 9, queued: 0 },
    ];
    expect(
      formatStatus(s, 'http://127.0.0.1:8002', NOW)
        .split('\n')
        .filter((l) => l.startsWith('limit')),
    ).toEqual(['limit    coder: 2/2 requests at once, 3/4 queued for a free place']);
  });
});

describe('formatModels', () => {
  const base = { kind: 'launch' as const, status: 'unloaded' as const, typicalLoadMs: null, tp: 1, inFlight: 0, queued: 0, aliases: [] };
  it('shows each model’s switch mode and a warm model asleep', () => {
    const models: ModelView[] = [
      { ...base, id: 'qwen', label: 'Qwen', aliases: ['q'], gpus: [0], status: 'sleeping', warm: true, typicalLoadMs: 40_000 },
      { ...base, id: 'coder', label: 'Coder', gpus: [1], status: 'loaded' },
      { ...base, id: 'embed', label: 'Embed', kind: 'upstream', status: 'loaded' },
    ];
    expect(formatModels(models).split('\n')).toEqual([
      'ID     ALIASES  TP  GPUS  MODE  STATUS                          TYPICAL LOAD',
      'qwen   q        1   0     warm  sleeping (GPU memory released)  0m40s',
      'coder  -        1   1     cold  loaded                          -',
      'embed  -        1   all   -     loaded                          -',
    ]);
  });
});
