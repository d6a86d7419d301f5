import { describe, expect, it } from 'vitest';
import type { FailureCause } from '../../../shared/failure.js';
import { readSglangRecords, SGLANG_LOG_FIXTURES } from '../../../test/fixtures/read-sglang-log.js';
import { diagnoseFailure, FAILURE_HINTS, hintFor, type DiagnoseInput } from './diagnose-failure.js';
import { parseSglangLine } from '../../../shared/parse-sglang-line.js';
import { initialLoadState, reduceLoadState } from './reduce-load-progress.js';

const crash = '[2025-10-14 11:20:50 TP0] Scheduler hit an exception: Traceback (most recent call last):';
const sigquit = '[2025-10-14 11:20:51] Received sigquit from a child process. It usually means the child failed.';

function diagnose(input: Partial<DiagnoseInput>) {
  return diagnoseFailure({ failures: [], now: 1_000, ...input });
}

describe('diagnoseFailure on the OOM fixture', () => {
  it('finds CUDA OOM behind the generic crash markers and names the phase', () => {
    const lines = readSglangRecords(SGLANG_LOG_FIXTURES.oom).map((r) => r.text);
    let state = initialLoadState();
    for (const line of lines) {
      const event = parseSglangLine(line);
      if (event) state = reduceLoadState(state, event);
    }
    const failure = diagnoseFailure({
      failures: state.failures,
      phase: state.progress.phase,
      exitCode: null,
      exitSignal: 'SIGKILL',
      lastLines: lines.slice(-40),
      now: 1234,
    });
    expect(failure).toMatchObject({
      cause: 'oom',
      message: 'CUDA out of memory while capturing CUDA graphs',
      hint: 'lower cuda-graph-max-bs (extraArgs) or memFractionStatic, or turn off torchCompile',
      phase: 'cuda_graphs',
      exitCode: null,
      exitSignal: 'SIGKILL',
      atMs: 1234,
    });
    expect(failure.lastLines).toHaveLength(39); // 40 lines, one blank
    expect(failure.lastLines?.at(-1)).toBe('[2026-06-11 05:11:58] Received sigquit from a child process. It usually means the child failed.');
  });

  it('finds the same cause from the last lines alone (a journal tail without parsed events)', () => {
    const lines = readSglangRecords(SGLANG_LOG_FIXTURES.oom).map((r) => r.text);
    expect(diagnose({ lastLines: lines, phase: 'kv_cache' })).toMatchObject({
      cause: 'oom',
      message: 'CUDA out of memory while allocating the KV cache',
      hint: 'lower memFractionStatic or contextLength',
    });
  });
});

describe('diagnoseFailure picks the most specific cause', () => {
  it.each<[FailureCause[], FailureCause]>([
    [['exited', 'not_enough_memory', 'exited'], 'not_enough_memory'],
    [['exited', 'oom'], 'oom'],
    [['cuda_graph_capture', 'oom'], 'oom'],
    [['warmup_failed', 'port_busy'], 'port_busy'],
    [['oom', 'unbalanced_memory'], 'unbalanced_memory'],
    [['exited', 'tp_mismatch', 'exited'], 'tp_mismatch'],
    [['exited'], 'exited'],
  ])('%j → %s', (causes, expected) => {
    expect(diagnose({ failures: causes.map((cause) => ({ cause, detail: cause })) }).cause).toBe(expected);
  });

  it('reads a bare AssertionError after a scheduler exception while weights load as tp_mismatch', () => {
    const lastLines = [crash, '  File "/sglang/srt/models/llama.py", line 120, in __init__', 'AssertionError', sigquit];
    expect(diagnose({ phase: 'weights', lastLines })).toMatchObject({
      cause: 'tp_mismatch',
      message: "tensor parallel size does not fit the model's heads while loading weights",
      hint: "tp must divide the model's attention and KV heads",
    });
  });

  it('leaves a bare AssertionError generic outside the weights phase or before the crash line', () => {
    expect(diagnose({ phase: 'kv_cache', lastLines: [crash, 'AssertionError', sigquit] }).cause).toBe('exited');
    expect(diagnose({ phase: 'weights', lastLines: ['AssertionError', crash, sigquit] }).cause).toBe('exited');
    expect(diagnose({ phase: 'weights', lastLines: ['AssertionError'] }).cause).toBe('exited');
  });
});

describe('diagnoseFailure messages and hints', () => {
  it('names the port from the uvicorn bind error', () => {
    const bind = "[2025-10-14 11:27:21] ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 30123): address already in use";
    expect(diagnose({ lastLines: [bind], phase: 'warmup' })).toMatchObject({
      cause: 'port_busy',
      message: 'port 30123 is already in use',
      hint: 'port 30123 is taken by another process — stop it or change backend.port',
    });
    expect(diagnose({ failures: [{ cause: 'port_busy', detail: 'address already in use' }], port: 8001 }).hint).toBe('port 8001 is taken by another process — stop it or change backend.port');
  });

  it('says how SGLang exited when the log names no cause', () => {
    expect(diagnose({ exitSignal: 'SIGKILL', phase: 'torch_compile' })).toMatchObject({
      cause: 'exited',
      message: 'SGLang exited (SIGKILL) during torch.compile',
      hint: FAILURE_HINTS.exited,
      exitSignal: 'SIGKILL',
      exitCode: null,
    });
    expect(diagnose({ exitCode: 1, phase: 'weights' }).message).toBe('SGLang exited (code 1) while loading weights');
    expect(diagnose({ exitCode: 0 }).message).toBe('SGLang exited (code 0)');
  });

  it('reports a ready timeout unless a crash marker explains the hang', () => {
    expect(diagnose({ timedOut: true, phase: 'cuda_graphs' })).toMatchObject({
      cause: 'ready_timeout',
      message: 'SGLang did not become ready in time while capturing CUDA graphs',
      hint: 'raise backend.readyTimeoutS, or check the log for a hang',
    });
    expect(diagnose({ timedOut: true, lastLines: [crash] }).cause).toBe('exited');
    expect(diagnose({ timedOut: true, lastLines: ['torch.OutOfMemoryError: CUDA out of memory.'] }).cause).toBe('oom');
  });

  it('reports a launch error with its text', () => {
    expect(diagnose({ launchError: 'spawn python3 ENOENT', exitCode: -2 })).toMatchObject({ cause: 'launch_error', message: 'SGLang could not be started: spawn python3 ENOENT' });
  });

  it('gives weights-phase OOM the memory hint and graph-phase OOM the graph hint', () => {
    expect(hintFor('oom', 'weights')).toBe('lower memFractionStatic or contextLength');
    expect(hintFor('oom', 'torch_compile')).toBe(FAILURE_HINTS.cuda_graph_capture);
    expect(hintFor('not_enough_memory')).toBe('raise memFractionStatic (KV cache did not fit)');
  });

  // `unresponsive` is not read from a log: the slot sets it when a ready server stops answering (its hint is checked below).
  it.each((Object.keys(FAILURE_HINTS) as FailureCause[]).filter((c) => c !== 'unresponsive'))('%s has a one-line message and hint', (cause) => {
    const failure = diagnose({
      failures: [{ cause, detail: cause }],
      phase: 'weights',
      port: 8001,
      launchError: cause === 'launch_error' ? 'x' : undefined,
      timedOut: cause === 'ready_timeout',
      stalledMs: cause === 'stuck' ? 612_000 : undefined,
    });
    expect(failure.cause).toBe(cause);
    expect(failure.message).not.toMatch(/\n|undefined/);
    expect(failure.hint).not.toMatch(/\n|undefined/);
    expect(failure.hint.length).toBeGreaterThan(10);
  });

  it('says how long a stuck load showed nothing, and in which phase', () => {
    expect(diagnose({ failures: [], phase: 'torch_compile', stalledMs: 1_812_000 })).toMatchObject({ cause: 'stuck', message: 'the load made no progress for 1812 s during torch.compile' });
    expect(FAILURE_HINTS.unresponsive).toMatch(/restarted/);
  });
});
