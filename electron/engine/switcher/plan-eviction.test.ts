import { describe, expect, it } from 'vitest';
import type { SlotStatus, SwitchCause } from '../../../shared/engine-state.js';
import { gpuSetKey, overlaps, type GpuSet } from '../../../shared/gpu-sets.js';
import { planEviction, type EvictionTarget, type RunningSlot } from './plan-eviction.js';

const ALL: GpuSet = { all: true };
const set = (...gpus: number[]): GpuSet => ({ all: false, gpus });

function slot(modelId: string, gpus: GpuSet, extra: Partial<RunningSlot> = {}): RunningSlot {
  return { slotId: gpuSetKey(gpus), modelId, gpus, pinned: false, status: 'ready', ...extra };
}

function target(modelId: string, gpus: GpuSet): EvictionTarget {
  return { modelId, slotId: gpuSetKey(gpus), gpus };
}

const evicted = (plan: ReturnType<typeof planEviction>) => (plan.ok ? plan.evict.map((s) => s.modelId) : plan.message);

describe('planEviction', () => {
  it.each<[string, EvictionTarget, RunningSlot[], string[]]>([
    ['nothing runs', target('chat', set(0, 1)), [], []],
    ['disjoint sets coexist', target('chat', set(0, 1)), [slot('coder', set(2, 3)), slot('embed', set(4))], []],
    ['overlap evicts only the overlapping slots', target('chat', set(1, 2)), [slot('a', set(0, 1)), slot('b', set(2, 3)), slot('c', set(4, 5))], ['a', 'b']],
    ['all overlaps everything', target('big', ALL), [slot('a', set(0)), slot('b', set(3, 4))], ['a', 'b']],
    ['everything overlaps all', target('small', set(5)), [slot('big', ALL)], ['big']],
    ['same slot, other model: a switch inside the slot', target('chat', set(0, 1)), [slot('coder', set(0, 1)), slot('embed', set(2))], ['coder']],
    ['same slot, same model: nothing to do', target('chat', set(0, 1)), [slot('chat', set(0, 1)), slot('embed', set(2))], []],
    ['same model still loading: joined, not evicted', target('chat', set(0, 1)), [slot('chat', set(0, 1), { status: 'loading' })], []],
    ['stopped and failed slots hold no GPUs', target('chat', set(0, 1)), [slot('a', set(0), { status: 'stopped' }), slot('b', set(1), { status: 'failed' })], []],
    ['starting and stopping slots hold GPUs', target('chat', set(0, 1)), [slot('a', set(0), { status: 'starting' }), slot('b', set(1), { status: 'stopping' })], ['a', 'b']],
    ['sorted by slot id', target('big', ALL), [slot('z', set(5)), slot('a', set(0, 1)), slot('m', set(2))], ['a', 'm', 'z']],
  ])('%s', (_, want, running, expected) => {
    expect(evicted(planEviction(want, running, 'request'))).toEqual(expected);
  });

  it('never evicts a pinned model for a request, and names it', () => {
    const running = [slot('coder', set(2, 3), { pinned: true }), slot('embed', set(4))];
    const plan = planEviction(target('chat', set(2, 3, 4)), running, 'request');
    expect(plan).toEqual({ ok: false, pinned: [running[0]], message: 'model "coder" is pinned on GPUs 2,3 and cannot be evicted for "chat"; unpin it or switch manually' });
  });

  it('lists every pinned model it would have to evict', () => {
    const running = [slot('b', set(1), { pinned: true }), slot('a', set(0), { pinned: true }), slot('c', set(2))];
    const plan = planEviction(target('big', ALL), running, 'idle');
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.pinned.map((s) => s.modelId)).toEqual(['a', 'b']);
    expect(plan.message).toBe('models "a" (GPU 0) and "b" (GPU 1) are pinned and cannot be evicted for "big"; unpin them or switch manually');
  });

  it.each<[SwitchCause, boolean]>([
    ['manual', true],
    ['cli', true],
    ['request', false],
    ['preload', false],
    ['idle', false],
    ['stop', false],
  ])('cause %s may evict a pinned model: %s', (cause, allowed) => {
    const plan = planEviction(target('chat', set(0, 1)), [slot('coder', set(0, 1), { pinned: true })], cause);
    expect(plan.ok).toBe(allowed);
    if (plan.ok) expect(plan.evict.map((s) => s.modelId)).toEqual(['coder']);
  });

  it('lets a request load a model next to a pinned one', () => {
    expect(planEviction(target('chat', set(0, 1)), [slot('coder', set(2, 3), { pinned: true })], 'request')).toEqual({ ok: true, evict: [] });
  });

  it('does not mutate its input', () => {
    const running = [slot('b', set(1)), slot('a', set(0))];
    const copy = structuredClone(running);
    planEviction(target('big', ALL), running, 'request');
    expect(running).toEqual(copy);
  });
});

/** Deterministic pseudo-random numbers (mulberry32), so a failing seed can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GPU_COUNT = 4;
const STATUSES: SlotStatus[] = ['stopped', 'starting', 'loading', 'ready', 'stopping', 'failed'];
const HOLDING = new Set<SlotStatus>(['starting', 'loading', 'ready', 'stopping']);

/** A random small catalog as GPU sets (one in eight is `all`), and a running state that is valid: holding slots never overlap. */
function randomWorld(random: () => number) {
  const pick = <T>(items: readonly T[]): T => {
    const item = items[Math.floor(random() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  };
  const randomSet = (): GpuSet => {
    if (random() < 0.125) return { all: true };
    const gpus = Array.from({ length: GPU_COUNT }, (_, g) => g).filter(() => random() < 0.4);
    return gpus.length > 0 ? { all: false, gpus } : { all: false, gpus: [pick([0, 1, 2, 3])] };
  };
  const models = Array.from({ length: 2 + Math.floor(random() * 5) }, (_, k) => ({ modelId: `m${k}`, gpus: randomSet(), pinned: random() < 0.2 }));
  const running: RunningSlot[] = [];
  for (const model of models) {
    const slotId = gpuSetKey(model.gpus);
    if (running.some((s) => s.slotId === slotId) || random() < 0.4) continue;
    const status = pick(STATUSES);
    const clash = running.some((s) => HOLDING.has(s.status) && overlaps(s.gpus, model.gpus));
    running.push({ slotId, ...model, status: HOLDING.has(status) && clash ? 'stopped' : status });
  }
  const wanted = pick(models);
  return { running, target: { modelId: wanted.modelId, slotId: gpuSetKey(wanted.gpus), gpus: wanted.gpus } };
}

/** The GPUs as plain indexes, so the property check does not reuse the code under test. */
const indexesOf = (set: GpuSet) => (set.all ? Array.from({ length: GPU_COUNT }, (_, g) => g) : set.gpus);
const shareAny = (a: GpuSet, b: GpuSet) => indexesOf(a).some((g) => indexesOf(b).includes(g));

describe('planEviction on random small catalogs', () => {
  it.each(Array.from({ length: 40 }, (_, k) => 1000 + k))('seed %i: evicts exactly the overlapping slots, and what remains fits', (seed) => {
    const random = seededRandom(seed);
    for (let round = 0; round < 25; round++) {
      const { running, target: want } = randomWorld(random);
      const plan = planEviction(want, running, 'manual');
      expect(plan.ok).toBe(true);
      if (!plan.ok) return;
      const expected = running
        .filter((s) => HOLDING.has(s.status) && shareAny(s.gpus, want.gpus) && !(s.slotId === want.slotId && s.modelId === want.modelId))
        .map((s) => s.slotId)
        .sort();
      expect(plan.evict.map((s) => s.slotId)).toEqual(expected);

      const remaining = running.filter((s) => HOLDING.has(s.status) && !plan.evict.includes(s) && s.slotId !== want.slotId);
      const after = [...remaining, { ...want, pinned: false, status: 'starting' as const }];
      for (const [i, a] of after.entries()) for (const b of after.slice(i + 1)) expect(shareAny(a.gpus, b.gpus)).toBe(false);

      const requestPlan = planEviction(want, running, 'request');
      const pinnedHit = plan.evict.filter((s) => s.pinned);
      expect(requestPlan.ok).toBe(pinnedHit.length === 0);
      if (!requestPlan.ok) expect(requestPlan.pinned).toEqual(pinnedHit);
    }
  });
});
