// The one place that starts nvidia-smi (spawn, never a shell): the GPU sampler's probe and `-lms` loop, the
// topology reads (`topo -m`, `nvlink --status`) and the power-limit changes all run it through here.
// A hung nvidia-smi (a GPU fallen off the bus) ignores SIGTERM, so a timeout, too much output or a caller's
// watchdog ends it with SIGKILL; one stuck in the kernel ignores even that, so nothing here waits for its
// exit without bound once it was killed on a timeout.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Why a run gave no complete answer; `message` says it as a reason ("timed out after 15000 ms"). */
export interface NvidiaSmiFailure {
  /** `missing`: no such executable (ENOENT); `spawn`: it could not start otherwise (EACCES, …). */
  kind: 'missing' | 'spawn' | 'timeout' | 'overflow';
  message: string;
}

/** How one run ended. Never a rejection: a failure to start is a result too. */
export interface NvidiaSmiResult {
  /** The exit code; null when it never started or ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when it never started, was killed on the timeout, or printed too much; null when it ran to its own end. */
  failure: NvidiaSmiFailure | null;
}

export interface RunNvidiaSmiOptions {
  /** Killed (SIGKILL) when it has not exited after this long; default: never (the caller watches `child`). */
  timeoutMs?: number;
  /** Bytes kept per stream; beyond that it is killed (SIGKILL) with an `overflow` failure. Default 4 MiB. */
  maxOutputBytes?: number;
}

/** A started nvidia-smi: the process (a caller's watchdog may kill it) and how it ends. */
export interface NvidiaSmiRun {
  readonly child: ChildProcess;
  /** Settles once it has exited, or failed to start, or KILL_GRACE_MS after a timeout kill that it ignored. */
  readonly result: Promise<NvidiaSmiResult>;
}

const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** How long a run killed on its timeout may take to exit before the result settles without it (stuck in the kernel). */
export const KILL_GRACE_MS = 2_000;

/** Runs `nvidia-smi args` to its end and collects stdout and stderr. */
export function runNvidiaSmi(path: string, args: readonly string[], options: RunNvidiaSmiOptions = {}): Promise<NvidiaSmiResult> {
  return startNvidiaSmi(path, args, options).result;
}

/** Starts `nvidia-smi args`, collecting stdout and stderr; the caller gets the process too (to track or kill it). */
export function startNvidiaSmi(path: string, args: readonly string[], options: RunNvidiaSmiOptions = {}): NvidiaSmiRun {
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const result = new Promise<NvidiaSmiResult>((resolve) => {
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], bytes: { stdout: 0, stderr: 0 } };
    let failure: NvidiaSmiFailure | null = null;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      resolve({ code, signal, stdout: text(out.stdout), stderr: text(out.stderr), failure });
    };
    const kill = (why: NvidiaSmiFailure) => {
      if (failure) return;
      failure = why;
      child.kill('SIGKILL');
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]!.on('data', (chunk: Buffer) => {
        if (out.bytes[stream] + chunk.length > maxBytes) {
          kill({ kind: 'overflow', message: `printed more than ${maxBytes} bytes on ${stream}` });
          return;
        }
        out.bytes[stream] += chunk.length;
        out[stream].push(chunk);
      });
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      // It never started (ENOENT, EACCES): no 'close' with an exit code follows that says more.
      if (child.pid !== undefined) return;
      failure = { kind: err.code === 'ENOENT' ? 'missing' : 'spawn', message: err.message };
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      timer = setTimeout(() => {
        kill({ kind: 'timeout', message: `timed out after ${timeoutMs} ms` });
        // Killed but not gone (stuck in the kernel): answer anyway rather than wait for ever.
        graceTimer = setTimeout(() => finish(null, null), KILL_GRACE_MS);
        graceTimer.unref();
      }, timeoutMs);
      timer.unref();
    }
  });
  return { child, result };
}

export interface StreamNvidiaSmiOptions {
  /** Each newline-terminated stdout line, without the newline (a last line cut by the process dying is dropped). */
  onLine: (line: string) => void;
  /** Once it has exited (or failed to start: spawn errors end in 'close' too). */
  onClose: () => void;
}

/** Starts a long-lived nvidia-smi (`-lms`) and passes its stdout on line by line; stderr is dropped. */
export function streamNvidiaSmi(path: string, args: readonly string[], options: StreamNvidiaSmiOptions): ChildProcess {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let buffered = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const lines = (buffered + chunk).split('\n');
    // Only newline-terminated lines: a line cut by the process dying could still have the right column count.
    buffered = lines.pop()!;
    for (const line of lines) options.onLine(line);
  });
  child.on('error', () => {}); // 'close' follows, even for ENOENT; the caller's next run reports why
  child.on('close', () => options.onClose());
  return child;
}

/**
 * Ends an nvidia-smi: SIGTERM, then SIGKILL after `graceMs` (a hung one ignores SIGTERM); resolves once it has
 * exited, or `graceMs` after the SIGKILL (one stuck in the kernel never goes: then it stops waiting).
 */
export async function stopNvidiaSmi(child: ChildProcess, graceMs = KILL_GRACE_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  const waitExit = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref())]);
  child.kill('SIGTERM');
  if (await waitExit(graceMs)) return;
  child.kill('SIGKILL');
  await waitExit(graceMs);
}

/** Why a result is not a clean answer, as a reason: the failure, or the signal that ended it; null when it exited. */
export function nvidiaSmiProblem(result: NvidiaSmiResult): string | null {
  if (result.failure) return result.failure.message;
  return result.code === null ? `killed by ${result.signal ?? 'a signal'}` : null;
}
