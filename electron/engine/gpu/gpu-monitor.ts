// The engine's view of the GPUs: live samples (GpuSampler), host CPU/RAM, and the interconnect read once at
// start and again on demand. Host stats are read alongside each GPU tick, or on request when no GPU ticks.

import type { GpuAvailability, GpuOverview, GpuSample, GpuTopologySnapshot, HostStats } from '../../../shared/gpu-types.js';
import { GpuSampler } from './gpu-sampler.js';
import type { GpuTelemetry } from './gpu-telemetry.js';
import { readHostStats } from './host-stats.js';
import { readTopology } from './read-topology.js';
import { readComputeApps } from '../../system/nvidia-smi/read-compute-apps.js';

/** The sampler as the monitor drives it. */
export interface SamplerLike extends GpuTelemetry {
  start(): Promise<GpuAvailability>;
  stop(): Promise<void>;
  /** Calls `listener` when the readings turn stale or fresh again (GpuSampler's watchdog); returns the unsubscribe function. */
  subscribeAvailability?(listener: (availability: GpuAvailability) => void): () => void;
}

/** One tick: every GPU's sample and the latest host reading. */
export interface GpuTick {
  samples: GpuSample[];
  host: HostStats | null;
}

export interface GpuMonitorOptions {
  nvidiaSmiPath?: string;
  sampleIntervalMs?: number;
  historyS?: number;
  /** A topology the host already read (serve reads it to validate the catalog). */
  topology?: GpuTopologySnapshot;
  /** Test seams; the defaults run nvidia-smi and systeminformation. */
  sampler?: SamplerLike;
  readTopology?: () => Promise<GpuTopologySnapshot>;
  readHost?: () => Promise<HostStats>;
  readProcessMemory?: () => Promise<Map<number, number | null> | null>;
}

/** The GPU overview without the parts the engine adds (presets, pending power changes). */
export type GpuMonitorView = Omit<GpuOverview, 'presetsW' | 'pendingPowerLimits'>;

/** Live GPU telemetry, host stats and topology. start() once, stop() at the end. */
export class GpuMonitor {
  private readonly sampler: SamplerLike;
  private readonly readTopo: () => Promise<GpuTopologySnapshot>;
  private readonly readHost: () => Promise<HostStats>;
  private readonly readProcesses: () => Promise<Map<number, number | null> | null>;
  private readonly intervalMs: number;
  private readonly listeners = new Set<(tick: GpuTick) => void>();
  private topo: GpuTopologySnapshot | null;
  private host: HostStats | null = null;
  private hostReading: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(options: GpuMonitorOptions = {}) {
    this.intervalMs = options.sampleIntervalMs ?? 1000;
    const historySize = Math.max(1, Math.ceil(((options.historyS ?? 3600) * 1000) / this.intervalMs));
    this.sampler = options.sampler ?? new GpuSampler({ nvidiaSmiPath: options.nvidiaSmiPath, intervalMs: this.intervalMs, historySize });
    this.readTopo = options.readTopology ?? (() => readTopology(options.nvidiaSmiPath));
    this.readHost = options.readHost ?? (() => readHostStats());
    this.readProcesses = options.readProcessMemory ?? (() => readComputeApps(options.nvidiaSmiPath ?? 'nvidia-smi'));
    this.topo = options.topology ?? null;
  }

  /**
   * GPU memory per process (MiB summed over its GPUs; null = not reported), from nvidia-smi's compute
   * apps; null when GPUs are not available or nvidia-smi gave no answer. Never throws.
   */
  async processMemory(): Promise<Map<number, number | null> | null> {
    if (!this.availability().available) return null;
    return this.readProcesses().catch(() => null);
  }

  /** A fresh reading of the host's CPU and memory. */
  async hostNow(): Promise<HostStats | null> {
    return this.readHost().catch(() => null);
  }

  /**
   * Probes nvidia-smi and starts sampling; reads the topology when GPUs answer. The host is read alongside,
   * so the ticks after start carry host stats instead of waiting for a reading that only a tick starts.
   * Never throws.
   */
  async start(): Promise<GpuAvailability> {
    this.unsubscribe = this.sampler.subscribe((samples) => this.onTick(samples));
    const hostRead = this.refreshHost();
    const availability = await this.sampler.start();
    if (availability.available && !this.topo) await this.refreshTopology();
    await hostRead;
    return availability;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.listeners.clear();
    await this.sampler.stop();
    await this.hostReading;
  }

  availability(): GpuAvailability {
    return this.sampler.state();
  }

  /** The latest tick, one sample per GPU. */
  latest(): GpuSample[] {
    return this.sampler.latest();
  }

  history(uuid: string, sinceMs?: number): GpuSample[] {
    return this.sampler.history(uuid, sinceMs);
  }

  /** The topology read last, or null before the first read. */
  topology(): GpuTopologySnapshot | null {
    return this.topo;
  }

  /** Reads `topo -m` and `nvlink --status` again. */
  async refreshTopology(): Promise<GpuTopologySnapshot> {
    this.topo = await this.readTopo();
    return this.topo;
  }

  /** A GPU of the latest tick by UUID or PCI bus id (any domain width, any case). */
  findGpu(uuidOrBusId: string): GpuSample | undefined {
    const wanted = normalizeGpuId(uuidOrBusId);
    return this.latest().find((s) => normalizeGpuId(s.uuid) === wanted || (s.busId !== null && normalizeGpuId(s.busId) === wanted));
  }

  /** Everything at once; reads the host when the last reading is older than one interval. */
  async view(options: { refreshTopology?: boolean } = {}): Promise<GpuMonitorView> {
    if (options.refreshTopology) await this.refreshTopology();
    if (!this.host || Date.now() - this.host.atMs > this.intervalMs) await this.refreshHost();
    const availability = this.availability();
    const topo = this.topo;
    return {
      available: availability.available,
      ...(availability.available ? {} : { reason: availability.reason }),
      ...(availability.available && availability.stale ? { stale: availability.stale } : {}),
      samples: this.latest(),
      host: this.host,
      topology: topo?.topology ?? null,
      nvlink: topo?.nvlink ?? null,
      nvlinkSets: topo?.nvlinkSets ?? [],
    };
  }

  /** Calls `listener` when the readings turn stale (nvidia-smi stopped answering) or fresh again. */
  subscribeAvailability(listener: (availability: GpuAvailability) => void): () => void {
    return this.sampler.subscribeAvailability?.(listener) ?? (() => undefined);
  }

  /** Calls `listener` once per sampling tick; returns the unsubscribe function. */
  subscribe(listener: (tick: GpuTick) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onTick(samples: GpuSample[]): void {
    const tick = { samples, host: this.host };
    for (const listener of this.listeners) listener(tick);
    void this.refreshHost();
  }

  private refreshHost(): Promise<void> {
    this.hostReading ??= this.readHost()
      .then((host) => void (this.host = host))
      .catch(() => undefined)
      .finally(() => (this.hostReading = null));
    return this.hostReading;
  }
}

/** Lower-case UUID, or a bus id with its domain cut to 4 digits ("00000000:41:00.0" = "0000:41:00.0"). */
export function normalizeGpuId(id: string): string {
  const lower = id.trim().toLowerCase();
  const bus = /^([0-9a-f]{4,8}):([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])$/.exec(lower);
  // Both groups are mandatory in the pattern, so a match has them.
  return bus ? `${bus[1]!.slice(-4)}:${bus[2]!}` : lower;
}
