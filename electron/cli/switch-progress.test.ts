import { describe, expect, it } from 'vitest';
import type { EngineState, SlotView } from '../../shared/engine-state.js';
import { isSwitchUnderWay, SwitchProgress } from './switch-progress.js';

const NOW = 1_000_000;

function stateWith(slot: Partial<SlotView>): EngineState {
  const full: SlotView = { id: 'main', status: 'stopped', modelId: null, host: '127.0.0.1', port: 8001, queue: [], ...slot };
  return { version: 't', startedAtMs: 0, activeModel: null, activeModels: [], preload: [], defaultModel: null, slots: [full], models: [], requests: [], configPath: '/c.yaml', notices: [] };
}

const loading = (phase: SlotView['progress'], extra: Partial<SlotView> = {}) => stateWith({ status: 'loading', modelId: 'm', progress: phase, loadStartedAtMs: NOW - 12_000, etaMs: 20_000, ...extra });

describe('SwitchProgress', () => {
  it('prints one line per phase and per 25% step inside it', () => {
    const progress = new SwitchProgress('m');
    const lines = [
      loading({ phase: 'weights', phaseFraction: 0.1, detail: 'shard 1/9' }),
      loading({ phase: 'weights', phaseFraction: 0.2, detail: 'shard 2/9' }),
      loading({ phase: 'weights', phaseFraction: 0.45, detail: 'shard 4/9' }),
      loading({ phase: 'weights', phaseFraction: 0.46, detail: 'shard 4/9' }),
      loading({ phase: 'kv_cache' }, { etaMs: null }),
      loading({ phase: 'kv_cache' }),
    ].map((state) => progress.lineFor(state, NOW));
    expect(lines).toEqual(['⏳ weights 10% (shard 1/9) · 0m12s · ~0m20s left', null, '⏳ weights 45% (shard 4/9) · 0m12s · ~0m20s left', null, '⏳ kv_cache · 0m12s', null]);
  });

  it('ignores other models and settled slots, and says when the switch waits in the queue', () => {
    const progress = new SwitchProgress('m');
    expect(progress.lineFor(stateWith({ status: 'loading', modelId: 'other' }), NOW)).toBeNull();
    expect(progress.lineFor(stateWith({ status: 'ready', modelId: 'm' }), NOW)).toBeNull();
    const queued = stateWith({ status: 'loading', modelId: 'other', queue: [{ modelId: 'm', waiters: 1, cause: 'cli' }] });
    expect(progress.lineFor(queued, NOW)).toBe('⏳ queued behind other on slot main');
    expect(progress.lineFor(queued, NOW)).toBeNull();
  });
});

describe('isSwitchUnderWay', () => {
  it.each([
    ['starting', stateWith({ status: 'starting', modelId: 'm' }), true],
    ['queued', stateWith({ status: 'loading', modelId: 'x', queue: [{ modelId: 'm', waiters: 2, cause: 'request' }] }), true],
    ['ready', stateWith({ status: 'ready', modelId: 'm' }), false],
    ['failed', stateWith({ status: 'failed', modelId: 'm' }), false],
    ['stopped', stateWith({}), false],
  ])('%s → %s', (_name, state, expected) => {
    expect(isSwitchUnderWay(state, 'm')).toBe(expected);
  });
});
