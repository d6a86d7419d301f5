// The hosts the fake pretends to be, assembled from real captures. See README.md for what is real and what
// is derived.

import { ALL_FIELDS_CAPTURE, readAllFieldsCapture } from './field-catalog.js';
import { fieldsFromQText } from './q-field-map.js';
import { readCapture } from './read-capture.js';
import { readQText, type QTextGpu } from './read-q-text.js';

/** What `nvlink -s` prints for a GPU: its active links, or the message a GPU without any prints instead. */
export type FakeNvlink = { links: number; speedGBs: string } | { message: string };

/** One GPU of a scenario. */
export interface FakeGpu {
  index: number;
  busId: string;
  uuid: string;
  name: string;
  /** Canonical field → value as `--format=csv` prints it (units kept), before the live values of a tick. */
  base: Map<string, string>;
  minW: number;
  maxW: number;
  defaultW: number;
  persistence: boolean;
  cpuAffinity: string;
  numaNode: number;
  nvlink: FakeNvlink;
}

/** A whole host. `matrix[i][j]` is the `topo -m` cell between GPU i and GPU j. */
export interface Scenario {
  name: string;
  driverVersion: string;
  cudaVersion: string;
  gpus: FakeGpu[];
  matrix: string[][];
}

export const SCENARIOS = ['rtx3090x6', 'rtx4080super'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The scenario by name; throws on an unknown one. */
export function loadScenario(name: string): Scenario {
  if (name === 'rtx3090x6') return rtx3090x6();
  if (name === 'rtx4080super') return rtx4080super();
  throw new Error(`unknown FAKE_NVIDIA_SMI_SCENARIO "${name}" (known: ${SCENARIOS.join(', ')})`);
}

// From nvlink-s-rtx3090x2-nvlink-driver560.txt: an NV4 bridge, four links at this speed.
const NV4 = { links: 4, speedGBs: '14.062' };
// From nvlink-s-rtxa6000x3-2bridged-1inactive.txt: the unbridged GA102 card beside a bridged pair.
const NO_BRIDGE = { message: 'NVML: Unable to retrieve NVLink information as all links are inActive' };
// Two sockets of 24 cores with SMT (derived: the captures' host is single-socket).
const SOCKET = [
  { cpuAffinity: '0-23,48-71', numaNode: 0 },
  { cpuAffinity: '24-47,72-95', numaNode: 1 },
] as const;

/** Six RTX 3090s on two sockets, NVLink pairs 1–2 and 3–4, from the two-card driver-560 captures. */
function rtx3090x6(): Scenario {
  const q = readQText(readCapture('q-rtx3090x2-driver560.txt'));
  const [a, b] = q.gpus;
  if (!a || !b) throw new Error('q-rtx3090x2-driver560.txt should hold two GPUs');
  const layout: { from: QTextGpu; busId: string; socket: 0 | 1; nvlink: FakeNvlink }[] = [
    { from: a, busId: a.busId, socket: 0, nvlink: NO_BRIDGE },
    { from: a, busId: '00000000:42:00.0', socket: 0, nvlink: NV4 },
    { from: a, busId: '00000000:43:00.0', socket: 0, nvlink: NV4 },
    { from: b, busId: b.busId, socket: 1, nvlink: NV4 },
    { from: b, busId: '00000000:82:00.0', socket: 1, nvlink: NV4 },
    { from: b, busId: '00000000:C1:00.0', socket: 1, nvlink: NO_BRIDGE },
  ];
  const gpus = layout.map(({ from, busId, socket, nvlink }, index) => {
    const base = fieldsFromQText(from);
    base.set('driver_version', q.top.get('Driver Version')!);
    base.set('count', String(layout.length));
    if (busId !== from.busId) {
      base.set('pci.bus_id', busId);
      base.set('pci.bus', `0x${busId.slice(9, 11)}`);
      base.set('uuid', derivedUuid(base.get('uuid')!, index));
    }
    return toFakeGpu(index, base, { ...SOCKET[socket], nvlink });
  });
  const matrix = [
    ['X', 'PHB', 'PHB', 'SYS', 'SYS', 'SYS'],
    ['PHB', 'X', 'NV4', 'SYS', 'SYS', 'SYS'],
    ['PHB', 'NV4', 'X', 'SYS', 'SYS', 'SYS'],
    ['SYS', 'SYS', 'SYS', 'X', 'NV4', 'NODE'],
    ['SYS', 'SYS', 'SYS', 'NV4', 'X', 'NODE'],
    ['SYS', 'SYS', 'SYS', 'NODE', 'NODE', 'X'],
  ];
  return { name: 'rtx3090x6', driverVersion: q.top.get('Driver Version')!, cudaVersion: q.top.get('CUDA Version')!, gpus, matrix };
}

/** One RTX 4080 SUPER, no NVLink, from the driver-595 captures. */
function rtx4080super(): Scenario {
  const base = readAllFieldsCapture(ALL_FIELDS_CAPTURE);
  const q = readQText(readCapture('q-rtx4080super-driver595-idle.txt'));
  // nvlink-s-rtx4080super-driver595-no-nvlink.txt; the affinity is invented (no topo capture of this host).
  const gpu = toFakeGpu(0, base, { cpuAffinity: '0-15', numaNode: 0, nvlink: { message: 'Device does not have or support Nvlink' } });
  return { name: 'rtx4080super', driverVersion: base.get('driver_version')!, cudaVersion: q.top.get('CUDA Version')!, gpus: [gpu], matrix: [['X']] };
}

/** The captured UUID with its last four hex digits replaced by `ff` and the two-digit index. */
function derivedUuid(captured: string, index: number): string {
  return `${captured.slice(0, -4)}ff${String(index).padStart(2, '0')}`;
}

function toFakeGpu(index: number, base: Map<string, string>, place: Pick<FakeGpu, 'cpuAffinity' | 'numaNode' | 'nvlink'>): FakeGpu {
  const watts = (field: string) => Number.parseFloat(base.get(field) ?? '');
  base.set('index', String(index));
  return {
    index,
    busId: base.get('pci.bus_id')!,
    uuid: base.get('uuid')!,
    name: base.get('name')!,
    base,
    minW: watts('power.min_limit'),
    maxW: watts('power.max_limit'),
    defaultW: watts('power.default_limit'),
    persistence: base.get('persistence_mode') === 'Enabled',
    ...place,
  };
}
