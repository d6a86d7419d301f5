import { describe, expect, it } from 'vitest';
import type { EngineState, SlotView } from '../../shared/engine-state.js';
import { switchDoneLine } from './switch-command.js';
import { isAsleep, isSwitchUnderWay, SwitchProgress } from './switch-progress.js';

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

describe('SwitchProgress for a warm model', () => {
  it('says once that it wakes it, and shows the load phases if the wake falls back to a cold load', () => {
    const progress = new SwitchProgress('m');
    expect(progress.lineFor(stateWith({ status: 'sleeping', modelId: 'm' }), NOW)).toBeNull();
    expect(progress.lineFor(stateWith({ status: 'waking', modelId: 'm' }), NOW)).toBe('⏳ Waking m…');
    expect(progress.lineFor(stateWith({ status: 'waking', modelId: 'm', etaMs: 2_000 }), NOW)).toBeNull();
    expect(progress.sawLoad).toBe(false);
    expect(progress.lineFor(loading({ phase: 'launching' }), NOW)).toBe('⏳ launching · 0m12s · ~0m20s left');
    expect(progress.sawLoad).toBe(true);
  });
});

describe('switchDoneLine', () => {
  const ready: SlotView = { id: 'gpu0.m', status: 'ready', modelId: 'm', host: '127.0.0.1', port: 8001, queue: [], loadStartedAtMs: NOW - 300_000, readyAtMs: NOW - 240_000 };
  it('says how long a load took, and a wake by the time it took here', () => {
    expect(switchDoneLine('m', ready, { alreadyReady: false, woken: false, tookMs: 4_000 })).toBe('✅ ready in 1m00s');
    expect(switchDoneLine('m', ready, { alreadyReady: false, woken: true, tookMs: 4_000 })).toBe('✅ woken in 0m04s');
    expect(switchDoneLine('m', ready, { alreadyReady: true, woken: false, tookMs: 4_000 })).toBe('✅ m is already ready');
  });
});

describe('isAsleep', () => {
  it.each([
    ['sleeping', stateWith({ status: 'sleeping', modelId: 'm' }), true],
    ['releasing', stateWith({ status: 'releasing', modelId: 'm' }), true],
    ['waking', stateWith({ status: 'waking', modelId: 'm' }), false],
    ['ready', stateWith({ status: 'ready', modelId: 'm' }), false],
    ['another model asleep', stateWith({ status: 'sleeping', modelId: 'x' }), false],
  ])('%s → %s', (_name, state, expected) => {
    expect(isAsleep(state, 'm')).toBe(expected);
  });
});

describe('isSwitchUnderWay', () => {
  it.each([
    ['starting', stateWith({ status: 'starting', modelId: 'm' }), true],
    ['waking', stateWith({ status: 'waking', modelId: 'm' }), true],
    ['sleeping', stateWith({ status: 'sleeping', modelId: 'm' }), false],
    ['queued', stateWith({ status: 'loading', modelId: 'x', queue: [{ modelId: 'm', waiters: 2, cause: 'request' }] }), true],
    ['ready', stateWith({ status: 'ready', modelId: 'm' }), false],
    ['failed', stateWith({ status: 'failed', modelId: 'm' }), false],
    ['stopped', stateWith({}), false],
  ])('%s → %s', (_name, state, expected) => {
    expect(isSwitchUnderWay(state, 'm')).toBe(expected);
  });
});
