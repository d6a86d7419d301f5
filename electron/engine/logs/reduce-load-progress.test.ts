import { describe, expect, it } from 'vitest';
import type { LoadPhase } from '../../../shared/load-phase.js';
import type { LogEvent } from '../../../shared/log-event.js';
import { readSglangRecords, SGLANG_LOG_FIXTURES } from '../../../test/fixtures/read-sglang-log.js';
import { parseSglangLine } from '../../../shared/parse-sglang-line.js';
import { initialLoadState, reduceLoadState, type LoadState } from './reduce-load-progress.js';

/** Every state after each fixture line that parsed, tagged with the line number. */
function replay(name: string, start: LoadState = initialLoadState()): { line: number; state: LoadState }[] {
  let state = start;
  return readSglangRecords(name).flatMap((r) => {
    const event = parseSglangLine(r.text);
    if (!event) return [];
    state = reduceLoadState(state, event);
    return [{ line: r.line, state }];
  });
}

function phaseSequence(name: string): LoadPhase[] {
  const phases: LoadPhase[] = ['launching'];
  for (const { state } of replay(name)) if (phases.at(-1) !== state.progress.phase) phases.push(state.progress.phase);
  return phases;
}

/** The state right after the last event on `line`. */
function stateAt(name: string, line: number): LoadState {
  const hit = replay(name)
    .filter((s) => s.line === line)
    .at(-1);
  if (!hit) throw new Error(`no event on line ${line} of ${name}`);
  return hit.state;
}

function fold(events: LogEvent[], start: LoadState = initialLoadState()): LoadState {
  return events.reduce(reduceLoadState, start);
}

describe('reduceLoadState phase sequences over the fixtures', () => {
  it.each<[string, LoadPhase[]]>([
    [SGLANG_LOG_FIXTURES.reference, ['launching', 'initializing', 'weights', 'kv_cache', 'cuda_graphs', 'torch_compile', 'warmup', 'ready']],
    [SGLANG_LOG_FIXTURES.tp4, ['launching', 'initializing', 'weights', 'kv_cache', 'cuda_graphs', 'warmup', 'ready']],
    [SGLANG_LOG_FIXTURES.docsci, ['launching', 'initializing', 'weights', 'kv_cache', 'cuda_graphs', 'warmup', 'ready']],
    [SGLANG_LOG_FIXTURES.runtime, ['launching', 'initializing', 'weights', 'kv_cache', 'warmup', 'ready']],
    [SGLANG_LOG_FIXTURES.oom, ['launching', 'kv_cache', 'cuda_graphs']],
  ])('%s', (name, phases) => {
    expect(phaseSequence(name)).toEqual(phases);
  });
});

describe('reduceLoadState details (reference sample, torch.compile on, max bs 32)', () => {
  const name = SGLANG_LOG_FIXTURES.reference;

  it('takes torch.compile settings, tp and port from server_args', () => {
    expect(stateAt(name, 19)).toMatchObject({ torchCompile: true, torchCompileMaxBs: 32, disableCudaGraph: false, tpSize: 4, port: 30000, servedModelName: 'llama-3.1-70b-awq' });
  });

  it('reports shards as the weights fraction', () => {
    expect(stateAt(name, 50).progress).toEqual({ phase: 'weights', phaseFraction: 3 / 9, detail: 'shard 3/9' });
  });

  it('reports CUDA-graph batches, then the compiled small sizes as torch_compile', () => {
    expect(stateAt(name, 66).graphTotal).toBe(52);
    expect(stateAt(name, 74).progress).toEqual({ phase: 'cuda_graphs', phaseFraction: 40 / 52, detail: 'bs=64 40/52' });
    expect(stateAt(name, 75).progress.phase).toBe('cuda_graphs');
    expect(stateAt(name, 76).progress).toEqual({ phase: 'torch_compile', phaseFraction: 0, detail: 'bs=32 44/52' });
    expect(stateAt(name, 80).progress).toEqual({ phase: 'torch_compile', phaseFraction: 0.5, detail: 'bs=8 48/52' });
    expect(stateAt(name, 89).progress).toMatchObject({ phase: 'torch_compile', phaseFraction: 1 });
  });

  it('ends ready with no failures and notes the shutdown', () => {
    const last = replay(name).at(-1)!.state;
    expect(last.progress).toEqual({ phase: 'ready', phaseFraction: 1 });
    expect(last.failures).toEqual([]);
    expect(last.shutdown).toBe(true);
  });
});

describe('reduceLoadState on older and newer formats', () => {
  it('reads the plain 0.4.3 bar without bs (tp4 L63, L66)', () => {
    expect(stateAt(SGLANG_LOG_FIXTURES.tp4, 63).progress).toEqual({ phase: 'cuda_graphs', phaseFraction: 0, detail: '0/13' });
    expect(stateAt(SGLANG_LOG_FIXTURES.tp4, 66).progress).toEqual({ phase: 'cuda_graphs', phaseFraction: 1, detail: '13/13' });
  });

  it('keeps cuda_graphs for small sizes when torch.compile is off (docsci L38)', () => {
    expect(stateAt(SGLANG_LOG_FIXTURES.docsci, 38).progress).toEqual({ phase: 'cuda_graphs', phaseFraction: 1, detail: 'bs=1 3/3' });
  });

  it('skips the graph phase with disable_cuda_graph (runtime L28-29)', () => {
    expect(stateAt(SGLANG_LOG_FIXTURES.runtime, 28)).toMatchObject({ disableCudaGraph: true, progress: { phase: 'kv_cache' } });
    expect(stateAt(SGLANG_LOG_FIXTURES.runtime, 29).progress.phase).toBe('warmup');
    expect(stateAt(SGLANG_LOG_FIXTURES.runtime, 34).port).toBe(30000);
  });

  it('collects the OOM tail failures in order and stays in the phase it failed in', () => {
    const last = replay(SGLANG_LOG_FIXTURES.oom).at(-1)!.state;
    expect(last.failures.map((f) => f.cause)).toEqual(['exited', 'oom', 'exited']);
    expect(last.progress).toEqual({ phase: 'cuda_graphs', phaseFraction: 0 });
  });
});

describe('reduceLoadState never goes backwards', () => {
  it('ignores a late rank repeating an earlier phase', () => {
    const state = fold([
      { kind: 'weights_begin', rank: 0 },
      { kind: 'weights_end', rank: 0 },
      { kind: 'weights_begin', rank: 3 },
      { kind: 'shard_progress', done: 1, total: 2, percent: 50 },
      { kind: 'dist_begin', rank: 2 },
    ]);
    expect(state.progress).toEqual({ phase: 'kv_cache' });
  });

  it('ignores graph bars outside the graph phases and runtime lines after ready', () => {
    const ready = fold([{ kind: 'graph_progress', bs: 8, done: 1, total: 4 }, { kind: 'ready' }]);
    expect(ready.progress).toEqual({ phase: 'ready', phaseFraction: 1 });
    const after = fold([{ kind: 'warmup_req' }, { kind: 'graph_begin' }, { kind: 'prefill', newSeqs: 1, newTokens: 1, runningReqs: 0, queueReqs: 0 }], ready);
    expect(after.progress).toBe(ready.progress);
  });

  it('keeps the progress object when nothing moved, so callers can compare by reference', () => {
    const state = fold([{ kind: 'weights_begin' }, { kind: 'weights_end' }]);
    const next = reduceLoadState(state, { kind: 'weights_begin', rank: 1 });
    expect(next.progress).toBe(state.progress);
  });

  it('lets the catalog turn torch.compile on before server_args arrives, and server_args override it', () => {
    const start = initialLoadState({ torchCompile: true, torchCompileMaxBs: 8 });
    const graphs: LogEvent[] = [{ kind: 'graph_begin' }, { kind: 'graph_progress', bs: 16, done: 1, total: 4 }, { kind: 'graph_progress', bs: 8, done: 2, total: 4 }];
    expect(fold(graphs, start).progress).toEqual({ phase: 'torch_compile', phaseFraction: 0, detail: 'bs=8 2/4' });
    const off = fold([{ kind: 'server_args', torchCompile: false }, ...graphs], start);
    expect(off.progress).toEqual({ phase: 'cuda_graphs', phaseFraction: 0.5, detail: 'bs=8 2/4' });
  });
});
