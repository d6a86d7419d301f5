// GPU and host telemetry as the engine reports it. Measured values are `number | null`:
// null means nvidia-smi said it does not know ([N/A], [Not Supported], …), never 0.

/** Which GPU a sample belongs to. `uuid` keys history; `busId` addresses the GPU for -pl (indexes can change at boot). */
export interface GpuIdentity {
  /** nvidia-smi's zero-based index; can change at each boot. */
  index: number;
  uuid: string;
  /** PCI bus id as nvidia-smi prints it, e.g. "00000000:41:00.0". */
  busId: string | null;
  name: string | null;
}

/** The measured part of a sample; each field null when the driver reports it as unknown. */
export interface GpuMetrics {
  utilGpuPct: number | null;
  memUsedMiB: number | null;
  memTotalMiB: number | null;
  tempC: number | null;
  /** Board power: `power.draw.instant` when the driver reports it, else `power.draw` (a 1 s average on Ampere+). */
  powerDrawW: number | null;
  /** The requested (software) limit, `power.limit`. */
  powerLimitW: number | null;
  /** What the card actually enforces: the minimum of all limiters, can be below `powerLimitW`. */
  enforcedPowerLimitW: number | null;
  defaultPowerLimitW: number | null;
  minPowerLimitW: number | null;
  maxPowerLimitW: number | null;
  smClockMHz: number | null;
  fanPct: number | null;
  /** Performance state "P0" (max) … "P12" (min). */
  pstate: string | null;
}

/** One GPU at one instant. */
export interface GpuSample extends GpuIdentity, GpuMetrics {
  /** Wall-clock time the sample was read, ms since the epoch. */
  atMs: number;
}

/**
 * The readings are old: nvidia-smi has stopped answering (a hung driver, a GPU fallen off the bus). The
 * samples shown are the last ones it gave; the engine kills the hung nvidia-smi and keeps trying.
 */
export interface GpuStaleness {
  /** When nvidia-smi last answered, ms since the epoch (the age of the readings shown). */
  sinceMs: number;
  /** For display, e.g. "nvidia-smi has not answered for 12 s (the hung nvidia-smi (pid 4242) was killed after 15 s; retrying)". */
  reason: string;
}

/**
 * Whether GPU telemetry works on this host; the engine keeps running when it does not. `stale` is set
 * while GPUs that answered before have stopped answering.
 */
export type GpuAvailability = { available: true; gpuCount: number; stale?: GpuStaleness } | { available: false; reason: string };

/** Why `nvidia-smi nvlink --status` shows no links for a GPU (all three exit 0). */
export type NvlinkAbsence = 'not-supported' | 'all-links-inactive' | 'mig-mode';

/** One NVLink of one GPU. `speedGBs` is per direction as nvidia-smi prints it; null when inactive. */
export interface NvlinkLink {
  link: number;
  speedGBs: number | null;
  active: boolean;
}

/** One GPU's block of `nvidia-smi nvlink --status`. */
export interface NvlinkStatus {
  index: number;
  name: string;
  uuid: string;
  links: NvlinkLink[];
  /** Set when the GPU printed one of the "no NVLink" messages instead of links. */
  none?: NvlinkAbsence;
  /** The raw "no NVLink" message, for display. */
  message?: string;
}

/** A cell of the `topo -m` matrix: X = self, NV# = # bonded NVLinks, the rest PCIe paths from near to far. */
export type TopoConnection = 'X' | 'PIX' | 'PXB' | 'PHB' | 'NODE' | 'SYS' | `NV${number}`;

/** A row/column of the `topo -m` matrix. */
export interface TopoDevice {
  /** The label nvidia-smi prints: "GPU0", "NIC1" (or a bare device name such as "mlx5_0" on old drivers). */
  label: string;
  /** topo -m lists only GPUs and NICs: any label that is not "GPU#" is a NIC. */
  kind: 'gpu' | 'nic';
  /** The number in "GPU3"/"NIC3"; null for a bare device name. */
  index: number | null;
  /** For NICs, the device name from the NIC legend ("mlx5_0"), or the label itself when it is one. */
  deviceName?: string;
  /** CPU list as printed, e.g. "0-7,16-23"; null for NIC rows, "N/A" or a missing column. */
  cpuAffinity: string | null;
  /** NUMA node(s) as printed, e.g. "0"; null when absent or N/A. */
  numaAffinity: string | null;
  /** The `GPU NUMA ID` column (newer drivers); null when absent or N/A. */
  gpuNumaId: number | null;
}

/** Parsed `nvidia-smi topo -m`. `matrix[i][j]` is the path from devices[i] to devices[j]; null if unreadable. */
export interface Topology {
  devices: TopoDevice[];
  matrix: (TopoConnection | null)[][];
  /** The legend: symbol ("NV#", "SYS", …) → description. */
  legend: Record<string, string>;
  /** "NIC0" → "mlx5_0". */
  nicLegend: Record<string, string>;
}

/** GPU indexes (ascending) connected to each other by NVLink, directly or through other members. */
export type NvlinkSet = number[];

/** Host CPU, memory and load at one instant. */
export interface HostStats {
  atMs: number;
  /** Busy share of all cores since the previous reading, 0..100. */
  cpuLoadPct: number | null;
  cpuCount: number | null;
  loadAvg1: number | null;
  loadAvg5: number | null;
  loadAvg15: number | null;
  memTotalMiB: number | null;
  /** Used excluding buffers/cache: what processes hold. */
  memUsedMiB: number | null;
  memAvailableMiB: number | null;
  swapTotalMiB: number | null;
  swapUsedMiB: number | null;
}

/** The GPUs' interconnect as read once (at start, or on demand): `topo -m` and `nvlink --status`. */
export interface GpuTopologySnapshot {
  atMs: number;
  /** Null when `topo -m` could not be read. */
  topology: Topology | null;
  /** Null when `nvlink --status` could not be read. */
  nvlink: NvlinkStatus[] | null;
  /** From the topology when there is one, else from the link status. */
  nvlinkSets: NvlinkSet[];
  /** Why a part is missing, one line each. */
  errors: string[];
}

/** A power-limit change that reverts at `revertAt` unless confirmed. */
export interface PendingPowerLimit {
  changeId: string;
  /** The GPU's UUID. */
  gpu: string;
  previousW: number;
  enforcedW: number;
  /** ISO 8601. */
  revertAt: string;
}

/** Everything the GPU view shows at once (`GET /api/gpu`). */
export interface GpuOverview {
  available: boolean;
  /** Why not available, e.g. "no NVIDIA GPU found (nvidia-smi not found at nvidia-smi)". */
  reason?: string;
  /** Set while nvidia-smi does not answer: `samples` are then the last readings, as old as `stale.sinceMs`. */
  stale?: GpuStaleness;
  /** The latest sample of each GPU, by index. */
  samples: GpuSample[];
  host: HostStats | null;
  topology: Topology | null;
  nvlink: NvlinkStatus[] | null;
  nvlinkSets: NvlinkSet[];
  /** Preset power limits offered for all GPUs (catalog `gpu.presetsW`). */
  presetsW: number[];
  /** Changes made through this engine that are neither confirmed nor reverted yet. */
  pendingPowerLimits: PendingPowerLimit[];
}

/** One GPU's limit from a model's power profile, as applied before its launch. */
export interface AppliedPowerLimit {
  index: number;
  /** The GPU's UUID; null when no GPU has that index. */
  uuid: string | null;
  requestedW: number;
  /** What the GPU enforces afterwards; null when the change failed. */
  enforcedW: number | null;
  /** True when the GPU already had that limit (nothing was changed). */
  unchanged?: boolean;
  /** Why it was not applied. */
  error?: string;
}

/** The result of a preset: one change per GPU, each pending until confirmed. */
export interface PowerPresetResult {
  watts: number;
  changes: PendingPowerLimit[];
}
