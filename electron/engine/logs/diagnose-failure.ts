import type { Failure, FailureCause } from '../../../shared/failure.js';
import type { LoadPhase } from '../../../shared/load-phase.js';
import { parseSglangLine } from '../../../shared/parse-sglang-line.js';
import type { FailureSeen } from './reduce-load-progress.js';

/** Everything known when a load or a running backend failed. */
export interface DiagnoseInput {
  /** Failure lines seen in the log, in order (LoadState.failures, or the failure LogEvents themselves). */
  failures: readonly FailureSeen[];
  /** Phase the load had reached (LoadState.progress.phase). */
  phase?: LoadPhase;
  exitCode?: number | null;
  /** e.g. 'SIGKILL'. */
  exitSignal?: string | null;
  /** Recent log lines; also scanned for failure lines the caller's event stream may have missed. */
  lastLines?: readonly string[];
  /** The app gave up waiting for ready (backend.readyTimeoutS). */
  timedOut?: boolean;
  /** The load was stopped after showing no progress for this long (ms) in `phase`. */
  stalledMs?: number;
  /** The backend port, for the port_busy message. */
  port?: number;
  /** The process could not be started at all (spawn error text). */
  launchError?: string;
  /** Unix ms to record as Failure.atMs; defaults to Date.now(). */
  now?: number;
}

/** What to change for each cause, phrased with the catalog's field names. */
export const FAILURE_HINTS: Record<FailureCause, string> = {
  oom: 'lower memFractionStatic or contextLength',
  not_enough_memory: 'raise memFractionStatic (KV cache did not fit)',
  cuda_graph_capture: 'lower cuda-graph-max-bs (extraArgs) or memFractionStatic, or turn off torchCompile',
  tp_mismatch: "tp must divide the model's attention and KV heads",
  invalid_device: 'gpus lists a GPU index that does not exist — check gpus and tp',
  unbalanced_memory: 'free the GPUs other processes are using, or pick idle gpus',
  context_too_long: "lower contextLength to the model's max_position_embeddings",
  port_busy: 'the port is taken by another process — stop it or change backend.port',
  warmup_failed: 'check HTTP proxy settings (set NO_PROXY=127.0.0.1,localhost) and the log above',
  bad_args: 'fix the flag SGLang rejected (extraArgs or the model entry)',
  model_not_found: 'check modelPath (a local folder with config.json, or a Hugging Face id)',
  ready_timeout: 'raise backend.readyTimeoutS, or check the log for a hang',
  launch_error: 'check sglang.command and that python/SGLang are installed',
  stuck: 'raise stallTimeoutS for that phase (model or backend) if it is only slow, else read the last lines for the hang',
  unresponsive: 'it was restarted for the waiting request; if this repeats, read the log for why it stops answering',
  exited: 'read the log lines above for the first error',
};

/** What happened, before the phase is appended. */
const FAILURE_MESSAGES: Record<FailureCause, string> = {
  oom: 'CUDA out of memory',
  not_enough_memory: 'not enough GPU memory left for the KV cache',
  cuda_graph_capture: 'CUDA graph capture failed',
  tp_mismatch: "tensor parallel size does not fit the model's heads",
  invalid_device: 'invalid CUDA device ordinal',
  unbalanced_memory: 'free GPU memory differs between the TP GPUs',
  context_too_long: 'contextLength is larger than the model supports',
  port_busy: 'the port is already in use',
  warmup_failed: "SGLang's warmup request failed",
  bad_args: 'SGLang rejected its command-line arguments',
  model_not_found: 'model not found',
  ready_timeout: 'SGLang did not become ready in time',
  launch_error: 'SGLang could not be started',
  stuck: 'the load made no progress',
  unresponsive: 'the server stopped answering',
  exited: 'SGLang exited',
};

const PHASE_WORDS: Record<LoadPhase, string> = {
  stopping: 'while stopping',
  launching: 'while launching',
  initializing: 'while initializing',
  weights: 'while loading weights',
  kv_cache: 'while allocating the KV cache',
  cuda_graphs: 'while capturing CUDA graphs',
  torch_compile: 'during torch.compile',
  warmup: 'during warmup',
  ready: 'while serving',
};

/**
 * Most specific first. port_busy leads because a bind failure is followed by a warmup error against
 * whatever holds the port; `exited` (the generic crash markers) comes last so any real cause beats it.
 */
const CAUSE_PRIORITY: readonly FailureCause[] = [
  'launch_error',
  'port_busy',
  'bad_args',
  'model_not_found',
  'tp_mismatch',
  'invalid_device',
  'unbalanced_memory',
  'context_too_long',
  'not_enough_memory',
  'oom',
  'cuda_graph_capture',
  'warmup_failed',
  'ready_timeout',
  'exited',
];

const LAST_LINES_KEPT = 50;

/** Picks the most specific cause and phrases it as a one-line message and a one-line fix hint. */
export function diagnoseFailure(input: DiagnoseInput): Failure {
  const lastLines = (input.lastLines ?? []).slice(-LAST_LINES_KEPT);
  const seen = [...input.failures, ...failuresInLines(lastLines)];
  const cause = pickCause(input, seen, lastLines);
  const detail = seen.find((f) => f.cause === cause)?.detail;
  const port = input.port ?? portFromDetail(detail);
  return {
    cause,
    message: messageFor(cause, input, port),
    hint: hintFor(cause, input.phase, port),
    phase: input.phase,
    exitCode: input.exitCode ?? null,
    exitSignal: input.exitSignal ?? null,
    lastLines,
    atMs: input.now ?? Date.now(),
  };
}

/** The fix hint for a cause, specialised by phase (OOM) and port (port_busy). */
export function hintFor(cause: FailureCause, phase?: LoadPhase, port?: number): string {
  if (cause === 'oom' && (phase === 'cuda_graphs' || phase === 'torch_compile')) return FAILURE_HINTS.cuda_graph_capture;
  if (cause === 'port_busy' && port !== undefined) return FAILURE_HINTS.port_busy.replace('the port', `port ${port}`);
  return FAILURE_HINTS[cause];
}

function failuresInLines(lines: readonly string[]): FailureSeen[] {
  return lines.flatMap((line) => {
    const event = parseSglangLine(line);
    return event?.kind === 'failure' ? [{ cause: event.cause, detail: event.detail }] : [];
  });
}

function pickCause(input: DiagnoseInput, seen: readonly FailureSeen[], lastLines: readonly string[]): FailureCause {
  if (input.launchError !== undefined) return 'launch_error';
  if (input.stalledMs !== undefined) return 'stuck';
  const causes = new Set(seen.map((f) => f.cause));
  const specific = CAUSE_PRIORITY.find((c) => c !== 'exited' && causes.has(c));
  if (specific) return specific;
  if (causes.has('exited') && input.phase === 'weights' && hasBareAssertAfterCrash(lastLines)) return 'tp_mismatch';
  // A crash marker explains a hang better than the timeout that ended it.
  if (input.timedOut && !causes.has('exited')) return 'ready_timeout';
  return 'exited';
}

/**
 * A bare `AssertionError` is any failed assert, but while the weights load it is almost always an
 * attention layer's `assert ... % tp_size == 0` whose source line was not in the captured tail.
 * When the scheduler's exception line is still in the tail, the assert must come after it.
 */
function hasBareAssertAfterCrash(lastLines: readonly string[]): boolean {
  const crashAt = lastLines.findLastIndex((line) => /Scheduler hit an exception/.test(line));
  return lastLines.some((line, i) => i > crashAt && /^AssertionError\s*$/.test(line));
}

function portFromDetail(detail: string | undefined): number | undefined {
  const match = detail === undefined ? null : /\(['"][^'"]*['"], (\d+)\)/.exec(detail);
  return match ? Number(match[1]) : undefined;
}

function messageFor(cause: FailureCause, input: DiagnoseInput, port: number | undefined): string {
  const where = input.phase ? ` ${PHASE_WORDS[input.phase]}` : '';
  if (cause === 'port_busy') return `port ${port ?? '(unknown)'} is already in use`;
  if (cause === 'launch_error') return `${FAILURE_MESSAGES.launch_error}: ${input.launchError}`;
  if (cause === 'exited') return `SGLang exited${exitText(input)}${where}`;
  if (cause === 'stuck') return `${FAILURE_MESSAGES.stuck} for ${Math.round((input.stalledMs ?? 0) / 1000)} s${where}`;
  return `${FAILURE_MESSAGES[cause]}${where}`;
}

function exitText(input: DiagnoseInput): string {
  if (input.exitSignal) return ` (${input.exitSignal})`;
  if (input.exitCode !== undefined && input.exitCode !== null) return ` (code ${input.exitCode})`;
  return '';
}
