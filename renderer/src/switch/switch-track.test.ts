import { describe, expect, it } from 'vitest';
import { sampleSlot } from '../engine/sample-engine-state.js';
import { phaseSteps } from './phase-steps.js';
import { KAT_OOM, LOAD_AT, MISTRAL_READY, MISTRAL_RECORD, katFailureViews, mistralSwitchViews } from './switch-fixtures.js';
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
});
