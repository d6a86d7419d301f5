// The only place that runs nvidia-smi for sampling: a probe (`--help-query-gpu`, then one query for the GPU
// count and a first sample), then one long-lived `--query-gpu … -lms <interval>` process, restarted with
// backoff whenever it exits. A missing binary makes the sampler unavailable, never the engine.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { GpuAvailability, GpuSample } from '../../../shared/gpu-types.js';
import type { GpuSamplesListener, GpuTelemetry } from './gpu-telemetry.js';
import { parseHelpQueryGpu } from './parse-help-query-gpu.js';
import { parseQueryCsvLine } from './parse-query-csv.js';
import { sampleFields, SAMPLE_FIELDS } from './query-fields.js';
import { SampleRing } from './sample-ring.js';
import { TickAssembler } from './tick-assembler.js';
import { toGpuSample } from './to-gpu-sample.js';

export interface GpuSamplerOptions {
  /** Default "nvidia-smi" (looked up on PATH). */
  nvidiaSmiPath?: string;
  /** Default 1000. */
  intervalMs?: number;
  /** Samples kept per GPU; default 3600 (1 h at 1 s). */
  historySize?: number;
  /** First and longest wait before restarting nvidia-smi; defaults 1000 and 30000 ms. */
  restartDelayMs?: { initial: number; max: number };
  now?: () => number;
}

type ProbeResult = { fields: string[]; samples: GpuSample[] } | { reason: string; permanent: boolean };

const PROBE_TIMEOUT_MS = 15_000;

/** nvidia-smi telemetry with bounded per-GPU history. Call start() once, stop() to end the process. */
export class GpuSampler implements GpuTelemetry {
  private readonly path: string;
  private readonly intervalMs: number;
  private readonly historySize: number;
  private readonly delays: { initial: number; max: number };
  private readonly now: () => number;
  private availability: GpuAvailability = { available: false, reason: 'not started' };
  private readonly rings = new Map<string, SampleRing<GpuSample>>();
  private readonly listeners = new Set<GpuSamplesListener>();
  private lastTick: GpuSample[] = [];
  private child: ChildProcess | null = null;
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
  }

  /** Probes and starts sampling; resolves with the availability after the probe. */
  async start(): Promise<GpuAvailability> {
    this.stopped = false;
    await this.run();
    return this.availability;
  }

  /** Ends the sampling process and any pending restart. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  /** How many times the `-lms` process was started (restarts + 1); for diagnostics and tests. */
  get starts(): number {
    return this.startCount;
  }

  state(): GpuAvailability {
    return this.availability;
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
      this.availability = { available: false, reason: probe.reason };
      if (!probe.permanent) this.scheduleRestart();
      return;
    }
    this.availability = { available: true, gpuCount: probe.samples.length };
    this.record(probe.samples);
    this.loop(probe.fields, probe.samples.length);
  }

  private async probe(): Promise<ProbeResult> {
    const help = await runOnce(this.path, ['--help-query-gpu']);
    if (help.missing) return { reason: `no NVIDIA GPU found (nvidia-smi not found at ${this.path})`, permanent: true };
    // A driver whose help fails still answers the base field list.
    const fields = help.code === 0 ? sampleFields(parseHelpQueryGpu(help.output).names) : [...SAMPLE_FIELDS];
    const query = await runOnce(this.path, [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits']);
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
    const child = spawn(this.path, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    this.startCount++;
    const assembler = new TickAssembler<GpuSample>(gpuCount);
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      const lines = (buffered + chunk).split('\n');
      // Only newline-terminated lines: a line cut by the process dying could still have the right column count.
      buffered = lines.pop()!;
      for (const line of lines) this.onLine(line, fields, assembler);
    });
    child.on('error', () => {}); // 'close' follows, even for ENOENT; the next probe reports why
    child.on('close', () => {
      if (this.child === child) this.child = null;
      if (!this.stopped) this.scheduleRestart();
    });
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

interface OnceResult {
  code: number | null;
  output: string;
  missing: boolean;
}

function runOnce(path: string, args: string[]): Promise<OnceResult> {
  return new Promise((resolve) => {
    execFile(path, args, { timeout: PROBE_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}` || (error?.message ?? ''), missing: error?.code === 'ENOENT' });
    });
  });
}
