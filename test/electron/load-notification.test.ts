import { describe, expect, it } from 'vitest';
import type { LoadRecord, SwapRecord } from '../../shared/engine-state.js';
import { loadNotification, wakeNotification } from '../../electron/main/load-notification.js';
import { engineState } from './engine-state-fixtures.js';

const KAT = 'kat-dev-awq-8bit';
const ready: LoadRecord = { modelId: 'mistral-large-2411-awq', startedAtMs: 1_000, endedAtMs: 243_000, outcome: 'ready', cause: 'manual', phaseMs: {} };
const failed: LoadRecord = {
  modelId: KAT,
  startedAtMs: 1_000,
  endedAtMs: 9_000,
  outcome: 'failed',
  cause: 'request',
  phaseMs: {},
  failure: { cause: 'oom', message: 'CUDA out of memory while loading weights' },
};
const oom = { cause: 'oom' as const, message: 'CUDA out of memory while loading weights', hint: 'lower memFractionStatic or contextLength', atMs: 8_500 };

describe('loadNotification', () => {
  const hidden = { visible: false, focused: false };

  it.each([
    ['hidden to the tray', { visible: false, focused: false }, true],
    ['visible, another app focused', { visible: true, focused: false }, true],
    ['visible and focused: the renderer shows its own toast', { visible: true, focused: true }, false],
  ])('%s', (_name, attention, notifies) => {
    expect(loadNotification(ready, engineState(), attention) !== null).toBe(notifies);
  });

  it('a ready model: its label and the load time', () => {
    expect(loadNotification(ready, engineState(), hidden)).toEqual({ title: 'Mistral Large 2411 (AWQ) is ready', body: 'Loaded in 4m02s', failed: false });
  });

  it('a failure: cause and hint from the model view', () => {
    const state = engineState({}, { [KAT]: { status: 'failed', lastFailure: oom } });
    expect(loadNotification(failed, state, hidden)).toEqual({
      title: '⚠ KAT-Dev 72B failed to load',
      body: 'CUDA out of memory while loading weights — lower memFractionStatic or contextLength',
      failed: true,
    });
  });

  it('a failure whose model view still shows an older one: the record alone, no stale hint', () => {
    const state = engineState({}, { [KAT]: { status: 'failed', lastFailure: { ...oom, message: 'port busy', hint: 'free the port', atMs: 500 } } });
    expect(loadNotification(failed, state, hidden)?.body).toBe('CUDA out of memory while loading weights');
  });

  it('without a state: the model id', () => {
    expect(loadNotification(failed, null, hidden)?.title).toBe(`⚠ ${KAT} failed to load`);
  });

  it('a cancelled load (superseded by another switch) says nothing', () => {
    expect(loadNotification({ ...ready, outcome: 'cancelled' }, engineState(), hidden)).toBeNull();
  });
});

describe('wakeNotification', () => {
  const hidden = { visible: false, focused: false };
  const wake: SwapRecord = { atMs: 10_000, action: 'wake', modelId: 'mistral-large-2411-awq', slotId: 'gpu1-2-3-4.mistral-large-2411-awq', cause: 'request', outcome: 'ready', durationMs: 4_000 };

  it('a woken model: its label and how long the wake took, only when the window is not watched', () => {
    expect(wakeNotification(wake, engineState(), hidden)).toEqual({ title: 'Mistral Large 2411 (AWQ) is ready', body: 'Woken in 0m04s', failed: false });
    expect(wakeNotification(wake, engineState(), { visible: true, focused: true })).toBeNull();
  });

  it.each<[string, SwapRecord]>([
    ['a wake that fell back to a cold load (its load brings the notice)', { ...wake, outcome: 'failed', fallback: 'waking failed; loading it cold' }],
    ['a sleep', { ...wake, action: 'sleep', outcome: undefined }],
    ['a load (the load record brings the notice)', { ...wake, action: 'load' }],
  ])('nothing for %s', (_, record) => {
    expect(wakeNotification(record, engineState(), hidden)).toBeNull();
  });
});
