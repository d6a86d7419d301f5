import { describe, expect, it } from 'vitest';
import { sampleSlot } from '../engine/sample-engine-state.js';
import { phaseSteps } from './phase-steps.js';
import { KAT_OOM, LOAD_AT, MISTRAL_READY, MISTRAL_RECORD, WARM_QWEN_AWAKE, katFailureViews, mistralSwitchViews, warmQwenViews } from './switch-fixtures.js';
import { applyLoadRecord, elapsedMs, etaLeftMs, trackSlot, type SwitchTrack } from './switch-track.js';

function fold(views: { atMs: number; slot: Parameters<typeof trackSlot>[1] }[], start: SwitchTrack | null = null) {
  let track = start;
  const ended: SwitchTrack[] = [];
  for (const view of views) {
    const result = trackSlot(track, view.slot, view.atMs);
    track = result.track;
    if (result.ended) ended.push(result.ended);
  }
  return { track: track!, ended };
}

const stateOf = (track: SwitchTrack) => Object.fromEntries(phaseSteps(track).map((s) => [s.phase, s.state]));

describe('trackSlot', () => {
  it('follows a switch from draining the old model through every phase to ready', () => {
    const views = mistralSwitchViews();
    const { track: draining } = fold(views.slice(0, 1), trackSlot(null, sampleSlot({ status: 'ready', modelId: 'qwen2.5-7b-instruct' }), 0).track);
    expect(draining).toMatchObject({ kind: 'switch', active: true, modelId: 'mistral-large-2411-awq', fromModelId: 'qwen2.5-7b-instruct', phase: 'stopping', draining: true });

    const { track: weights } = fold(views.slice(0, 6), draining);
    expect(weights).toMatchObject({ phase: 'weights', phaseFraction: 4 / 9, detail: 'shard 4/9', etaMs: 150_000, loadStartedAtMs: LOAD_AT, startedAtMs: views[0]!.atMs });
    expect(weights.seen).toEqual(['stopping', 'launching', 'initializing', 'weights']);

    const { track: ready, ended } = fold([...views, { atMs: LOAD_AT + 242_000, slot: MISTRAL_READY }], draining);
    expect(ready).toMatchObject({ active: false, outcome: 'ready', phase: 'ready', endedAtMs: LOAD_AT + 242_000 });
    expect(ended).toHaveLength(1);
    expect(Object.values(stateOf(ready))).toEqual(Array(9).fill('done'));
  });

  it('counts elapsed from the start of the switch and the ETA down from the last state', () => {
    const views = mistralSwitchViews();
    const { track } = fold(views.slice(0, 6), trackSlot(null, sampleSlot(), 0).track);
    const at = views[5]!.atMs;
    expect(elapsedMs(track, at + 10_000)).toBe(at + 10_000 - views[0]!.atMs);
    expect(etaLeftMs(track, at + 10_000)).toBe(140_000);
  });

  it('marks a failed load: the phase it failed in, the failure, one end', () => {
    const { track, ended } = fold(katFailureViews());
    expect(track).toMatchObject({ active: false, outcome: 'failed', status: 'failed', phase: 'weights', failure: KAT_OOM, endedAtMs: KAT_OOM.atMs });
    expect(ended.map((e) => e.outcome)).toEqual(['failed']);
    expect(stateOf(track)).toMatchObject({ stopping: 'skipped', launching: 'done', initializing: 'done', weights: 'failed', kv_cache: 'pending', ready: 'pending' });
  });

  it('ends a switch superseded by the next one in the same view (queued switch taken at once)', () => {
    const views = mistralSwitchViews();
    const { track: loading } = fold(views.slice(3, 10), trackSlot(null, sampleSlot(), 0).track);
    const next = sampleSlot({
      status: 'ready',
      modelId: 'mistral-large-2411-awq',
      readyAtMs: LOAD_AT + 242_000,
      loadStartedAtMs: LOAD_AT,
      pending: { modelId: 'qwen2.5-7b-instruct', waiters: 2, cause: 'request' },
      draining: true,
    });
    const { track, ended } = trackSlot(loading, next, LOAD_AT + 242_000);
    expect(ended).toMatchObject({ modelId: 'mistral-large-2411-awq', outcome: 'ready' });
    expect(track).toMatchObject({ modelId: 'qwen2.5-7b-instruct', active: true, phase: 'stopping', fromModelId: 'mistral-large-2411-awq', waiters: 2 });
  });

  it('a stop while loading cancels the switch; the same ready view twice ends it once', () => {
    const views = mistralSwitchViews();
    const { track: loading } = fold(views.slice(3, 6), trackSlot(null, sampleSlot(), 0).track);
    const stopping = trackSlot(loading, sampleSlot({ status: 'stopping', modelId: 'mistral-large-2411-awq', progress: { phase: 'stopping' } }), LOAD_AT + 30_000);
    expect(stopping.ended?.outcome).toBe('cancelled');
    expect(stateOf(stopping.ended!)).toMatchObject({ weights: 'cancelled' });

    const { ended } = fold([...views, { atMs: 1, slot: MISTRAL_READY }, { atMs: 2, slot: MISTRAL_READY }], trackSlot(null, sampleSlot(), 0).track);
    expect(ended).toHaveLength(1);
  });

  it('first seen mid-load, earlier phases are done (not skipped); the history record settles skipped ones', () => {
    const views = mistralSwitchViews();
    const { track } = fold([views[8]!]);
    expect(track.observedFromStart).toBe(false);
    expect(stateOf(track)).toMatchObject({ stopping: 'done', cuda_graphs: 'done', torch_compile: 'current', warmup: 'pending' });

    const ready = trackSlot(null, MISTRAL_READY, 0).track;
    const withoutCompile = applyLoadRecord(ready, { ...MISTRAL_RECORD, phaseMs: { launching: 1, initializing: 1, weights: 1, kv_cache: 1, cuda_graphs: 1, warmup: 1 } });
    expect(stateOf(withoutCompile)).toMatchObject({ stopping: 'done', cuda_graphs: 'done', torch_compile: 'skipped', ready: 'done' });
  });

  it('a warm model: put to sleep, asleep (no load times), then woken as a switch without load phases', () => {
    const views = warmQwenViews();
    const releasing = fold(views.slice(0, 2)).track;
    expect(releasing).toMatchObject({ kind: 'sleep', active: false, status: 'releasing', modelId: 'qwen2.5-7b-instruct', phase: null, startedAtMs: null, endedAtMs: null });
    const asleep = fold(views.slice(0, 3)).track;
    expect(asleep).toMatchObject({ kind: 'idle', active: false, status: 'sleeping', outcome: null, phase: null, startedAtMs: null });

    const { track: waking, ended: none } = fold(views);
    expect(none).toEqual([]);
    expect(waking).toMatchObject({ kind: 'switch', wake: true, active: true, status: 'waking', phase: null, startedAtMs: LOAD_AT + 60_000, etaMs: 4_000, waiters: 1 });
    expect(waking.seen).toEqual([]);

    const { track: awake, ended } = fold([...views, { atMs: LOAD_AT + 64_500, slot: WARM_QWEN_AWAKE }]);
    expect(awake).toMatchObject({ kind: 'switch', wake: true, active: false, outcome: 'ready', status: 'ready', phase: null, endedAtMs: LOAD_AT + 64_000 });
    expect(elapsedMs(awake, LOAD_AT + 99_000)).toBe(4_000);
    expect(ended.map((e) => [e.wake, e.outcome])).toEqual([[true, 'ready']]);
  });

  it('a woken model whose slot keeps the first load’s readyAtMs ends when the ready view arrives', () => {
    const views = warmQwenViews();
    const stale = { ...WARM_QWEN_AWAKE, readyAtMs: LOAD_AT - 60_000 };
    const { track } = fold([...views, { atMs: LOAD_AT + 65_000, slot: stale }]);
    expect(track).toMatchObject({ outcome: 'ready', endedAtMs: LOAD_AT + 65_000 });
  });

  it('a wake that falls back to a cold load stays one switch, now with its load phases', () => {
    const views = warmQwenViews();
    const pending = views[3]!.slot.pending!;
    const base = { ...views[3]!.slot, pending };
    const { track, ended } = fold([
      ...views,
      { atMs: LOAD_AT + 70_000, slot: { ...base, status: 'stopping', progress: { phase: 'stopping' } } },
      { atMs: LOAD_AT + 72_000, slot: { ...base, status: 'starting', progress: { phase: 'launching' }, loadStartedAtMs: LOAD_AT + 72_000 } },
    ]);
    expect(ended).toEqual([]);
    expect(track).toMatchObject({ kind: 'switch', active: true, wake: false, wakeFellBack: true, phase: 'launching', startedAtMs: LOAD_AT + 60_000 });
    expect(track.seen).toEqual(['stopping', 'launching']);
  });
});
