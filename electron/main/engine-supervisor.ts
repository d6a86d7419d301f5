import type { ChildProcess } from 'node:child_process';
import { isEngineProcessMessage, type EngineReadyMessage } from '../../shared/engine-process-protocol.js';

export type EngineProcessPhase = 'starting' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped';

/** How an engine process ended. */
export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
  /** Its last lines of output (stdout and stderr, in order). */
  output: string[];
}

/** What the window and the tray show about the engine process (not the engine's own state). */
export interface EngineProcessStatus {
  phase: EngineProcessPhase;
  pid: number | null;
  /** Where the running engine serves. */
  url: string | null;
  /** Unexpected exits since the app started. */
  crashes: number;
  lastExit: EngineExit | null;
  /** One sentence for a banner. */
  message: string;
}

/** Which catalog (and extra environment) the next engine process gets. */
export interface EngineLaunch {
  configPath: string;
  env?: Record<string, string>;
  /** The catalog file does not exist yet: start in setup mode (`serve --first-run`). */
  firstRun?: boolean;
}

export interface EngineSupervisorOptions {
  /** Starts one engine process (`switchboard serve --supervised`) with an IPC channel and piped stdout/stderr. */
  spawnEngine(launch: EngineLaunch): ChildProcess;
  launch: EngineLaunch;
  /** Delay before the n-th restart in a row (1-based). Default 500 ms, doubling, at most 4 s. */
  restartDelayMs?(attempt: number): number;
  /** More unexpected exits than `max` within `windowMs` and the supervisor stops restarting (phase `failed`). Default 5 in 60 s. */
  crashLoop?: { max: number; windowMs: number };
  /** An engine process that has not said ready after this long is killed and counts as a crash. Default 120 s. */
  readyTimeoutMs?: number;
  /** stop(): SIGTERM, then SIGKILL after this long. Default 60 s (the engine drains and stops SGLang first). */
  stopTimeoutMs?: number;
  /** Ends SGLang servers an engine process could not stop itself (it was SIGKILLed, or crashed with no restart to come). */
  reapLeftovers?(launch: EngineLaunch): Promise<void>;
  /** Where the engine's output goes besides the last-lines ring (default: this process's stdout/stderr). */
  echo?(line: string, stream: 'stdout' | 'stderr'): void;
  now?(): number;
}

const OUTPUT_LINES_KEPT = 40;

/**
 * Runs the engine as a child process and keeps it running: an engine that dies is started again
 * after a short backoff (a crash loop stops at `failed`, where restart() tries again), an engine
 * that asks to run on another catalog (`switchboard:restart`) is started on it, and stop() ends it
 * gracefully (SIGTERM: drain, stop SGLang) or, past the timeout, with SIGKILL and a sweep of the
 * servers it left. The window stays up through all of it and shows `status()`.
 *
 * Plain Node (no `electron` import): the desktop app spawns the engine with its own binary as Node,
 * tests spawn it with node.
 */
export class EngineSupervisor {
  private launch: EngineLaunch;
  private child: ChildProcess | null = null;
  private current: EngineProcessStatus = { phase: 'stopped', pid: null, url: null, crashes: 0, lastExit: null, message: 'The engine is not running.' };
  private readonly statusListeners = new Set<(status: EngineProcessStatus) => void>();
  private readonly readyListeners = new Set<(ready: EngineReadyMessage) => void>();
  private readonly output: string[] = [];
  private crashTimes: number[] = [];
  private restartsInARow = 0;
  private nextLaunch: EngineLaunch | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private readyTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private firstStart: { resolve(ready: EngineReadyMessage): void; reject(err: Error): void } | null = null;
  private readonly now: () => number;

  constructor(private readonly options: EngineSupervisorOptions) {
    this.launch = options.launch;
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts the first engine process. Resolves when it serves; rejects with its output when it ends
   * before that (a catalog with errors, a port held by someone else): nothing is restarted then.
   */
  start(): Promise<EngineReadyMessage> {
    if (this.child || this.firstStart) throw new Error('the engine supervisor is already running');
    const started = new Promise<EngineReadyMessage>((resolve, reject) => {
      this.firstStart = { resolve, reject };
    });
    this.spawn('starting', 'Starting the engine…');
    return started;
  }

  status(): EngineProcessStatus {
    return this.current;
  }

  /** The launch the next (or current) engine process runs with. */
  currentLaunch(): EngineLaunch {
    return this.launch;
  }

  onStatus(listener: (status: EngineProcessStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Every time an engine process serves (its URL may differ after a restart on another catalog). */
  onReady(listener: (ready: EngineReadyMessage) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Starts the engine again now: after a crash loop (`failed`), or by hand. Graceful for a running one. */
  async restart(): Promise<void> {
    if (this.stopping) return;
    this.clearRestartTimer();
    this.crashTimes = [];
    this.restartsInARow = 0;
    if (this.child) {
      this.nextLaunch ??= this.launch;
      await this.terminate(this.child);
      return; // the exit handler starts the next one
    }
    this.spawn('starting', 'Starting the engine…');
  }

  /** Ends the engine for good (the app quits): SIGTERM, SIGKILL after stopTimeoutMs, then a sweep of leftover servers. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.clearRestartTimer();
      const child = this.child;
      if (child) {
        this.setStatus({ phase: 'stopping', message: 'Stopping the engine…' });
        const killed = await this.terminate(child);
        if (killed) await this.reap();
      }
      this.setStatus({ phase: 'stopped', pid: null, url: null, message: 'The engine is stopped.' });
    })();
    return this.stopping;
  }

  private spawn(phase: 'starting' | 'restarting', message: string): void {
    if (this.nextLaunch) {
      this.launch = this.nextLaunch;
      this.nextLaunch = null;
    }
    let child: ChildProcess;
    try {
      child = this.options.spawnEngine(this.launch);
    } catch (err) {
      this.onExit(null, { code: null, signal: null, atMs: this.now(), output: [`could not start the engine: ${(err as Error).message}`] });
      return;
    }
    this.child = child;
    this.output.length = 0;
    this.setStatus({ phase, pid: child.pid ?? null, url: null, message });
    for (const [stream, name] of [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ] as const) {
      stream?.setEncoding('utf8');
      let partial = '';
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.keepLine(line, name);
      });
      stream?.on('end', () => {
        if (partial) this.keepLine(partial, name);
        partial = '';
      });
    }
    child.on('message', (message: unknown) => {
      if (!isEngineProcessMessage(message) || this.child !== child) return;
      if (message.type === 'switchboard:restart') {
        this.nextLaunch = { configPath: message.configPath, ...(message.env ? { env: message.env } : {}) };
        this.setStatus({ phase: 'restarting', url: null, message: `Restarting the engine on ${message.configPath}…` });
        return;
      }
      this.clearReadyTimer();
      this.restartsInARow = 0;
      this.setStatus({ phase: 'running', url: message.url, message: this.current.lastExit ? `The engine runs again (${describeExit(this.current.lastExit)} before).` : 'The engine runs.' });
      const first = this.firstStart;
      this.firstStart = null;
      first?.resolve(message);
      for (const listener of this.readyListeners) listener(message);
    });
    child.on('error', (err) => this.keepLine(`engine process error: ${err.message}`, 'stderr'));
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      // Let the last output lines arrive first (exit can come before the pipes' end).
      setImmediate(() => this.onExit(child, { code, signal, atMs: this.now(), output: [...this.output] }));
    });
    this.clearReadyTimer();
    const readyTimeoutMs = this.options.readyTimeoutMs ?? 120_000;
    this.readyTimer = setTimeout(() => {
      if (this.child !== child || this.current.phase === 'running') return;
      this.keepLine(`the engine did not serve within ${Math.round(readyTimeoutMs / 1000)} s; killing it`, 'stderr');
      child.kill('SIGKILL');
    }, readyTimeoutMs);
    this.readyTimer.unref();
  }

  private onExit(child: ChildProcess | null, exit: EngineExit): void {
    if (child && this.child !== child) return;
    this.child = null;
    this.clearReadyTimer();
    if (this.stopping) return; // stop() reports
    const first = this.firstStart;
    if (first) {
      // The first start failed: nothing was ever running, so there is nothing to restart into.
      this.firstStart = null;
      this.setStatus({ phase: 'failed', pid: null, url: null, lastExit: exit, message: `The engine did not start (${describeExit(exit)}).` });
      first.reject(new Error(exit.output.join('\n').trim() || `the engine ended (${describeExit(exit)}) before it served`));
      return;
    }
    if (this.nextLaunch) {
      // Asked for (or restart()): not a crash.
      this.spawn('restarting', `Restarting the engine on ${this.nextLaunch.configPath}…`);
      return;
    }
    const at = exit.atMs;
    this.crashTimes = [...this.crashTimes.filter((t) => at - t < this.crashLoopWindow().windowMs), at];
    const crashes = this.current.crashes + 1;
    if (this.crashTimes.length > this.crashLoopWindow().max) {
      this.setStatus({
        phase: 'failed',
        pid: null,
        url: null,
        crashes,
        lastExit: exit,
        message: `The engine stopped unexpectedly ${this.crashTimes.length} times within ${Math.round(this.crashLoopWindow().windowMs / 1000)} s (last: ${describeExit(exit)}); not restarting it by itself.`,
      });
      void this.reap();
      return;
    }
    this.restartsInARow += 1;
    const delayMs = (this.options.restartDelayMs ?? defaultRestartDelayMs)(this.restartsInARow);
    this.setStatus({
      phase: 'restarting',
      pid: null,
      url: null,
      crashes,
      lastExit: exit,
      message: `The engine stopped unexpectedly (${describeExit(exit)}); restarting it in ${formatDelay(delayMs)}…`,
    });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.spawn('restarting', `Restarting the engine (${describeExit(exit)} before)…`);
    }, delayMs);
  }

  /** SIGTERM, then SIGKILL after stopTimeoutMs. Resolves when the process is gone; true when it had to be killed. */
  private terminate(child: ChildProcess): Promise<boolean> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(false);
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, this.options.stopTimeoutMs ?? 60_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(killed);
      });
      child.kill('SIGTERM');
    });
  }

  private async reap(): Promise<void> {
    try {
      await this.options.reapLeftovers?.(this.launch);
    } catch (err) {
      this.keepLine(`could not sweep the servers the engine left: ${(err as Error).message}`, 'stderr');
    }
  }

  private keepLine(line: string, stream: 'stdout' | 'stderr'): void {
    this.output.push(line);
    if (this.output.length > OUTPUT_LINES_KEPT) this.output.shift();
    (this.options.echo ?? defaultEcho)(line, stream);
  }

  private crashLoopWindow(): { max: number; windowMs: number } {
    return this.options.crashLoop ?? { max: 5, windowMs: 60_000 };
  }

  private setStatus(patch: Partial<EngineProcessStatus>): void {
    this.current = { ...this.current, ...patch };
    for (const listener of this.statusListeners) listener(this.current);
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private clearReadyTimer(): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
  }
}

function defaultRestartDelayMs(attempt: number): number {
  return Math.min(4000, 500 * 2 ** (attempt - 1));
}

function defaultEcho(line: string, stream: 'stdout' | 'stderr'): void {
  (stream === 'stderr' ? process.stderr : process.stdout).write(`engine: ${line}\n`);
}

/** "exit code 1", "killed by SIGKILL". */
export function describeExit(exit: Pick<EngineExit, 'code' | 'signal'>): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.code !== null) return `exit code ${exit.code}`;
  return 'could not start';
}

function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}
