import { afterEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../shared/log-event.js';
import type { LoadPhase } from '../../shared/load-phase.js';
import { diagnoseFailure } from '../../electron/engine/logs/diagnose-failure.js';
import { parseSglangLine } from '../../shared/parse-sglang-line.js';
import { initialLoadState, reduceLoadState } from '../../electron/engine/logs/reduce-load-progress.js';
import { LogLineSplitter } from '../../electron/engine/logs/split-log-lines.js';
import { freePort, makeModelDir, removeTempDirs, startSim, type SimProcess } from '../fakes/sglang-sim/sim-harness.js';

let sim: SimProcess | undefined;
afterEach(() => {
  sim?.killGroup();
  sim = undefined;
  removeTempDirs();
});

/** Everything the simulator printed on stderr (SGLang's own stream), through the engine's splitter and parser. */
function parseAll(stderr: string): LogEvent[] {
  const splitter = new LogLineSplitter();
  return [...splitter.push(stderr), ...splitter.flush()].map(parseSglangLine).filter((e): e is LogEvent => e !== null);
}

function phasesOf(events: LogEvent[]): LoadPhase[] {
  let state = initialLoadState();
  const phases: LoadPhase[] = [state.progress.phase];
  for (const e of events) {
    state = reduceLoadState(state, e);
    if (phases.at(-1) !== state.progress.phase) phases.push(state.progress.phase);
  }
  return phases;
}

describe('the parser reads what the simulator prints', () => {
  it('a tp=4 torch.compile startup: events in SGLang order, every shard and capture batch, phases to ready', async () => {
    const port = await freePort();
    const model = makeModelDir({ shards: 3 });
    sim = startSim(['--model-path', model, '--port', String(port), '--tp', '4', '--enable-torch-compile', '--cuda-graph-max-bs', '16', '--served-model-name', 'sim-model']);
    await sim.waitFor(/The server is fired up and ready to roll!/);
    // The two pipes are read independently: the access line may arrive after the ready line.
    await sim.waitFor(/"POST \/generate HTTP\/1\.1" 200/, 'stdout');
    const events = parseAll(sim.stderr);

    const kinds = events.map((e) => e.kind).filter((k, i, all) => k !== all[i - 1]);
    expect(kinds).toEqual([
      'server_args',
      'dist_begin',
      'dist_end',
      'weights_begin',
      'shard_progress',
      'weights_end',
      'kv_alloc',
      'mem_pool_end',
      'graph_begin',
      'graph_bs',
      'graph_progress',
      'graph_end',
      'max_tokens',
      'http_up',
      'prefill',
      'ready',
    ]);
    // uvicorn access lines go to stdout: the self-warmup's POST /generate is there.
    expect(parseAll(sim.stdout).map((e) => e.kind)).toContain('warmup_req');
    expect(events[0]).toMatchObject({ kind: 'server_args', tpSize: 4, torchCompile: true, servedModelName: 'sim-model', port });
    const shards = events.filter((e) => e.kind === 'shard_progress');
    expect(shards.map((e) => `${e.done}/${e.total}`)).toEqual(expect.arrayContaining(['0/3', '1/3', '2/3', '3/3']));
    expect(
      events
        .filter((e) => e.kind === 'kv_alloc')
        .map((e) => e.rank)
        .sort(),
    ).toEqual([0, 1, 2, 3]);
    const graphBs = events.find((e) => e.kind === 'graph_bs');
    expect(graphBs).toMatchObject({ batchSizes: [1, 2, 4, 8, 12, 16] });
    const captures = events.filter((e) => e.kind === 'graph_progress');
    expect(captures.at(-1)).toMatchObject({ done: 6, total: 6 });
    expect(events.find((e) => e.kind === 'http_up')).toMatchObject({ port });

    expect(phasesOf(events)).toEqual(['launching', 'initializing', 'weights', 'kv_cache', 'cuda_graphs', 'torch_compile', 'warmup', 'ready']);
  });

  it('an OOM while loading weights is diagnosed as oom in the weights phase', async () => {
    const model = makeModelDir({ shards: 4 });
    sim = startSim(['--model-path', model, '--port', String(await freePort()), '--tp', '2'], { SGLANG_SIM_FAIL: 'oom-weights' });
    const exit = await sim.exited;
    expect(exit.signal).toBe('SIGKILL');
    const events = parseAll(sim.stderr);
    const phases = phasesOf(events);
    expect(phases.at(-1)).toBe('weights');
    const failure = diagnoseFailure({
      failures: events.filter((e): e is Extract<LogEvent, { kind: 'failure' }> => e.kind === 'failure'),
      phase: phases.at(-1),
      exitCode: exit.code,
      exitSignal: exit.signal,
      lastLines: sim.stderr.split('\n').slice(-30),
    });
    expect(failure).toMatchObject({ cause: 'oom', message: 'CUDA out of memory while loading weights', hint: 'lower memFractionStatic or contextLength' });
  });

  it('a TP that does not divide the heads is diagnosed as tp_mismatch', async () => {
    const model = makeModelDir({ shards: 2, heads: 28, kvHeads: 4 });
    sim = startSim(['--model-path', model, '--port', String(await freePort()), '--tp', '3']);
    const exit = await sim.exited;
    const events = parseAll(sim.stderr);
    const failure = diagnoseFailure({
      failures: events.filter((e): e is Extract<LogEvent, { kind: 'failure' }> => e.kind === 'failure'),
      phase: phasesOf(events).at(-1),
      exitCode: exit.code,
      exitSignal: exit.signal,
      lastLines: sim.stderr.split('\n').slice(-30),
    });
    expect(failure.cause).toBe('tp_mismatch');
  });
});
