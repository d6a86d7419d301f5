// GPU sampling with nvidia-smi (started by electron/system/nvidia-smi/run-nvidia-smi.ts): a probe
// (`--help-query-gpu`, then one query for the GPU count and a first sample), then one long-lived
// `--query-gpu … -lms <interval>` process, restarted with backoff whenever it exits. A missing binary makes
// the sampler unavailable, never the engine. A hung nvidia-smi (a GPU fallen off the bus) makes the readings
// stale, with the reason, and is killed; at most one nvidia-smi of the sampler runs at any time, so hung ones
// never pile up.

import type { ChildProcess } from 'node:child_process';
import type { GpuAvailability, GpuSample, GpuStaleness } from '../../../shared/gpu-types.js';
import { parseHelpQueryGpu } from '../../system/nvidia-smi/parse-help-query-gpu.js';
import { parseQueryCsvLine } from '../../system/nvidia-smi/parse-query-csv.js';
import { sampleFields, SAMPLE_FIELDS } from '../../system/nvidia-smi/query-fields.js';
import { startNvidiaSmi, stopNvidiaSmi, streamNvidiaSmi } from '../../system/nvidia-smi/run-nvidia-smi.js';
import { toGpuSample } from '../../system/nvidia-smi/to-gpu-sample.js';
import type { GpuSamplesListener, GpuTelemetry } from './gpu-telemetry.js';
import { SampleRing } from './sample-ring.js';
import { TickAssembler } from './tick-assembler.js';

export interface GpuSamplerOptions {
  /** Default "nvidia-smi" (looked up on PATH). */
  nvidiaSmiPath?: string;
  /** Default 1000. */
  intervalMs?: number;
  /** Samples kept per GPU; default 3600 (1 h at 1 s). */
  historySize?: number;
  /** First and longest wait before restarting nvidia-smi; defaults 1000 and 30000 ms. */
  restartDelayMs?: { initial: number; max: number };
  /** The readings are stale after this long without an answer; default max(5 s, 3 intervals). */
  staleAfterMs?: number;
  /**
   * An nvidia-smi (probe or loop) that has not answered for this long is killed (SIGKILL: a hung one
   * ignores SIGTERM) and started again with backoff; default max(15 s, 5 intervals).
   */
  hangTimeoutMs?: number;
  now?: () => number;
}

type ProbeResult = { fields: string[]; samples: GpuSample[] } | { reason: string; permanent: boolean };

const DEFAULT_HANG_TIMEOUT_MS = 15_000;
const DEFAULT_STALE_AFTER_MS = 5_000;
/** How long stop() waits for nvidia-smi to go after SIGTERM, then after SIGKILL (one stuck in the kernel never goes). */
const STOP_GRACE_MS = 2_000;

/** nvidia-smi telemetry with bounded per-GPU history. Call start() once, stop() to end the process. */
export class GpuSampler implements GpuTelemetry {
  private readonly path: string;
  private readonly intervalMs: number;
  private readonly historySize: number;
  private readonly delays: { initial: number; max: number };
  private readonly now: () => number;
  private readonly staleAfterMs: number;
  private readonly hangTimeoutMs: number;
  private availability: GpuAvailability = { available: false, reason: 'not started' };
  /** When nvidia-smi last answered with samples (the probe's or a tick); 0 before the first. */
  private lastAnswerMs = 0;
  /** Why the last try after the last answer failed (a kill, the probe's error), for the stale reason. */
  private lastFailure: string | null = null;
  /** Whether the last listener call said stale: the watchdog tells listeners when that flips. */
  private staleReported = false;
  /** The one nvidia-smi of the sampler that is running (probe or loop), and since when it owes an answer. */
  private inFlight: { child: ChildProcess; sinceMs: number; killed: boolean } | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly availabilityListeners = new Set<(availability: GpuAvailability) => void>();
  private readonly rings = new Map<string, SampleRing<GpuSample>>();
  private readonly listeners = new Set<GpuSamplesListener>();
  private lastTick: GpuSample[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private delayMs: number;
  private stopped = false;
  private startCount = 0;

  constructor(options: GpuSamplerOptions = {}) {
    this.path = options.nvidiaSmiPath ?? 'nvidia-smi';
    this.intervalMs = options.intervalMs ?? 1000;
    this.historySize = options.historySize ?? 3600;
    this.delays = options.restartDelayMs ?? { initial: 1000, max: 30_000 };
    this.delayMs = this.delays.initial;
    this.now = options.now ?? Date.now;
    this.staleAfterMs = options.staleAfterMs ?? Math.max(DEFAULT_STALE_AFTER_MS, 3 * this.intervalMs);
    this.hangTimeoutMs = options.hangTimeoutMs ?? Math.max(DEFAULT_HANG_TIMEOUT_MS, 5 * this.intervalMs);
  }

  /** Probes and starts sampling; resolves with the availability after the probe. */
  async start(): Promise<GpuAvailability> {
    this.stopped = false;
    this.watchdog ??= setInterval(() => this.checkHang(), Math.max(10, Math.min(1000, Math.floor(this.hangTimeoutMs / 4), Math.floor(this.staleAfterMs / 4))));
    this.watchdog.unref();
    await this.run();
    return this.state();
  }

  /** Ends the sampling process (or the probe under way) and any pending restart. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const child = this.inFlight?.child;
    // A hung nvidia-smi ignores SIGTERM; one stuck in the kernel ignores SIGKILL too: then stop anyway.
    if (child) await stopNvidiaSmi(child, STOP_GRACE_MS);
  }

  /** Process id of the nvidia-smi the sampler runs now (probe or loop), if any; for diagnostics and tests. */
  get runningPid(): number | undefined {
    return this.inFlight?.child.pid;
  }

  /** How many times the `-lms` process was started (restarts + 1); for diagnostics and tests. */
  get starts(): number {
    return this.startCount;
  }

  /** The availability; once GPUs were seen, `stale` says when nvidia-smi stopped answering and why. */
  state(): GpuAvailability {
    const stale = this.staleness();
    return stale && this.availability.available ? { ...this.availability, stale } : this.availability;
  }

  /** Calls `listener` when the readings turn stale or fresh again; returns the unsubscribe function. */
  subscribeAvailability(listener: (availability: GpuAvailability) => void): () => void {
    this.availabilityListeners.add(listener);
    return () => this.availabilityListeners.delete(listener);
  }

  latest(): GpuSample[] {
    return this.lastTick;
  }

  history(gpuUuid: string, sinceMs?: number): GpuSample[] {
    return this.rings.get(gpuUuid)?.toArray(sinceMs) ?? [];
  }

  subscribe(listener: GpuSamplesListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async run(): Promise<void> {
    const probe = await this.probe();
    if (this.stopped) return;
    if ('reason' in probe) {
      if (this.lastAnswerMs > 0) {
        // GPUs answered before: the readings go stale (with this reason) rather than the GPUs away, and it is retried.
        this.lastFailure = probe.reason.replace(/^no NVIDIA GPU found \((.*)\)$/, '$1');
        this.scheduleRestart();
        return;
      }
      this.availability = { available: false, reason: probe.reason };
      if (!probe.permanent) this.scheduleRestart();
      return;
    }
    this.availability = { available: true, gpuCount: probe.samples.length };
    this.record(probe.samples);
    this.loop(probe.fields, probe.samples.length);
  }

  private async probe(): Promise<ProbeResult> {
    const help = await this.runOnce(['--help-query-gpu']);
    if (help.missing) return { reason: `no NVIDIA GPU found (nvidia-smi not found at ${this.path})`, permanent: true };
    if (help.hung) return { reason: `no NVIDIA GPU found (${help.hung})`, permanent: false };
    // A driver whose help fails still answers the base field list.
    const fields = help.code === 0 ? sampleFields(parseHelpQueryGpu(help.output).names) : [...SAMPLE_FIELDS];
    if (this.stopped) return { reason: 'stopped', permanent: true };
    const query = await this.runOnce([`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits']);
    if (query.hung) return { reason: `no NVIDIA GPU found (${query.hung})`, permanent: false };
    const atMs = this.now();
    const samples = query.output.split('\n').flatMap((line) => {
      const row = parseQueryCsvLine(line, fields);
      const sample = row && toGpuSample(row, atMs);
      return sample ? [sample] : [];
    });
    if (query.code !== 0 || samples.length === 0) {
      const said = query.output.trim().split('\n')[0] || `exit code ${query.code}`;
      return { reason: `no NVIDIA GPU found (nvidia-smi: ${said})`, permanent: false };
    }
    return { fields, samples };
  }

  private loop(fields: string[], gpuCount: number): void {
    const args = [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits', '-lms', String(this.intervalMs)];
    const assembler = new TickAssembler<GpuSample>(gpuCount);
    // Only newline-terminated lines reach onLine; a spawn error ends in onClose too, and the next probe reports why.
    const child = streamNvidiaSmi(this.path, args, {
      onLine: (line) => this.onLine(line, fields, assembler),
      onClose: () => {
        if (this.inFlight === flight) this.inFlight = null;
        if (!this.stopped) this.scheduleRestart();
      },
    });
    const flight = { child, sinceMs: this.now(), killed: false };
    this.inFlight = flight;
    this.startCount++;
  }

  /**
   * Runs one short nvidia-smi (the probe's calls) as the sampler's one process in flight; the watchdog
   * kills it when it hangs. Resolves once it has exited (never rejects).
   */
  private async runOnce(args: string[]): Promise<OnceResult> {
    // No timeout of its own: the watchdog (checkHang) kills it, measured from the sampler's last answer.
    const run = startNvidiaSmi(this.path, args, { maxOutputBytes: MAX_ONCE_OUTPUT });
    const flight = { child: run.child, sinceMs: this.now(), killed: false };
    this.inFlight = flight;
    const result = await run.result;
    if (this.inFlight === flight) this.inFlight = null;
    const { failure } = result;
    // It never started (ENOENT, EACCES): the spawn error is all there is to say.
    if (failure?.kind === 'missing' || failure?.kind === 'spawn') return { code: null, output: failure.message, missing: failure.kind === 'missing', hung: null };
    const hung = flight.killed ? `nvidia-smi ${args[0]} did not answer within ${formatSeconds(this.hangTimeoutMs)} and was killed` : null;
    return { code: result.code, output: `${result.stdout}${result.stderr}`, missing: false, hung };
  }

  /** The watchdog: kills the nvidia-smi in flight when it owes an answer too long, and tells listeners when staleness flips. */
  private checkHang(): void {
    const flight = this.inFlight;
    if (flight && !flight.killed && this.now() - Math.max(flight.sinceMs, this.lastAnswerMs) > this.hangTimeoutMs) {
      flight.killed = true;
      this.lastFailure = `the hung nvidia-smi (pid ${flight.child.pid}) was killed after ${formatSeconds(this.hangTimeoutMs)}; retrying`;
      flight.child.kill('SIGKILL');
    }
    const stale = this.staleness() !== null;
    if (stale !== this.staleReported) {
      this.staleReported = stale;
      const availability = this.state();
      for (const listener of this.availabilityListeners) listener(availability);
    }
  }

  /** Stale once GPUs were seen and nvidia-smi has not answered for staleAfterMs; null otherwise. */
  private staleness(): GpuStaleness | null {
    if (!this.availability.available || this.lastAnswerMs === 0) return null;
    const silentMs = this.now() - this.lastAnswerMs;
    if (silentMs <= this.staleAfterMs) return null;
    const reason = `nvidia-smi has not answered for ${formatSeconds(silentMs)}${this.lastFailure ? ` (${this.lastFailure})` : ''}`;
    return { sinceMs: this.lastAnswerMs, reason };
  }

  private onLine(line: string, fields: string[], assembler: TickAssembler<GpuSample>): void {
    const row = parseQueryCsvLine(line, fields);
    const sample = row && toGpuSample(row, 0);
    if (!sample) return;
    for (const tick of assembler.push(sample)) {
      const atMs = this.now();
      this.record(tick.map((s) => ({ ...s, atMs })));
      this.delayMs = this.delays.initial;
    }
  }

  private record(tick: GpuSample[]): void {
    this.lastTick = tick;
    this.lastAnswerMs = this.now();
    this.lastFailure = null;
    if (this.staleReported) this.checkHang(); // fresh again: tell listeners now, not at the next watchdog tick
    for (const sample of tick) {
      let ring = this.rings.get(sample.uuid);
      if (!ring) this.rings.set(sample.uuid, (ring = new SampleRing<GpuSample>(this.historySize)));
      ring.push(sample);
    }
    for (const listener of this.listeners) listener(tick);
  }

  private scheduleRestart(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.delays.max);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.run();
    }, delay);
  }
}

/** Output allowed per stream of one short run (a `--help-query-gpu` is ~30 KB); more kills it. */
const MAX_ONCE_OUTPUT = 4 * 1024 * 1024;

interface OnceResult {
  code: number | null;
  output: string;
  missing: boolean;
  /** Set when the watchdog killed it: why, as the reason says it. */
  hung: string | null;
}

/** "12 s" (whole seconds; "0.4 s" below one). */
function formatSeconds(ms: number): string {
  return ms < 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
