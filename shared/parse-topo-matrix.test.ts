import { describe, expect, it } from 'vitest';
import type { Topology } from './gpu-types.js';
import { nvlinkCount, parseTopoMatrix } from './parse-topo-matrix.js';
import { readNvidiaSmiFixture } from '../test/fixtures/read-nvidia-smi-fixture.js';

const LEGEND = {
  X: 'Self',
  SYS: 'Connection traversing PCIe as well as the SMP interconnect between NUMA nodes (e.g., QPI/UPI)',
  NODE: 'Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node',
  PHB: 'Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)',
  PXB: 'Connection traversing multiple PCIe bridges (without traversing the PCIe Host Bridge)',
  PIX: 'Connection traversing at most a single PCIe bridge',
  'NV#': 'Connection traversing a bonded set of # NVLinks',
};

/** Matrix rows as "NV4 X NODE" strings, so a case reads like the capture. */
function rows(topology: Topology): string[] {
  return topology.matrix.map((row) => row.join(' '));
}

/** `label cpuAffinity numaAffinity gpuNumaId` per device. */
function affinities(topology: Topology): string[] {
  return topology.devices.map((d) => `${d.label} ${d.cpuAffinity} ${d.numaAffinity} ${d.gpuNumaId}`);
}

interface TopoCase {
  file: string;
  rows: string[];
  affinities: string[];
}

const GPU_ONLY_CASES: TopoCase[] = [
  {
    file: 'topo-m-rtxa6000x3-nv4-node-ansi.txt', // ANSI header, tabs, no GPU NUMA ID column
    rows: ['X NV4 NODE', 'NV4 X NODE', 'NODE NODE X'],
    affinities: ['GPU0 0-31,64-95 0 null', 'GPU1 0-31,64-95 0 null', 'GPU2 0-31,64-95 0 null'],
  },
  {
    file: 'topo-m-rtx3090x2-nv4-driver560.txt', // tabs, empty field before N/A
    rows: ['X NV4', 'NV4 X'],
    affinities: ['GPU0 0-23 0 null', 'GPU1 0-23 0 null'],
  },
  {
    file: 'topo-m-5gpu-sys-phb-node-driver580.txt', // spaces, two NUMA nodes
    rows: ['X SYS SYS SYS SYS', 'SYS X PHB NODE NODE', 'SYS PHB X NODE NODE', 'SYS NODE NODE X PHB', 'SYS NODE NODE PHB X'],
    affinities: ['GPU0 8-15,24-31 1 null', 'GPU1 0-7,16-23 0 null', 'GPU2 0-7,16-23 0 null', 'GPU3 0-7,16-23 0 null', 'GPU4 0-7,16-23 0 null'],
  },
  {
    file: 'topo-m-h100x1-driver590-ansi.txt', // one GPU, raw ANSI codes around the header
    rows: ['X'],
    affinities: ['GPU0 0-19 0 null'],
  },
  {
    file: 'extra/topo-m-h100pcie-x2-nv12-driver555.txt',
    rows: ['X NV12', 'NV12 X'],
    affinities: ['GPU0 32-63,96-127 1 null', 'GPU1 32-63,96-127 1 null'],
  },
];

describe('parseTopoMatrix', () => {
  it.each(GPU_ONLY_CASES)('$file', ({ file, rows: expectedRows, affinities: expectedAffinities }) => {
    const topology = parseTopoMatrix(readNvidiaSmiFixture(file));
    expect(rows(topology)).toEqual(expectedRows);
    expect(affinities(topology)).toEqual(expectedAffinities);
    expect(topology.devices.every((d) => d.kind === 'gpu')).toBe(true);
    expect(topology.devices.map((d) => d.index)).toEqual(expectedRows.map((_, i) => i));
    expect(topology.legend).toEqual(LEGEND);
    expect(topology.nicLegend).toEqual({});
  });

  it('extra/ 1 GPU + 1 NIC (sglang check_env): a NIC row with matrix cells only, and the NIC legend', () => {
    const topology = parseTopoMatrix(readNvidiaSmiFixture('extra/topo-m-h100pcie-1nic-driver575.txt'));
    expect(rows(topology)).toEqual(['X PHB', 'PHB X']);
    expect(topology.devices).toEqual([
      { label: 'GPU0', kind: 'gpu', index: 0, cpuAffinity: '0-251', numaAffinity: '0', gpuNumaId: null },
      { label: 'NIC0', kind: 'nic', index: 0, deviceName: 'mlx5_0', cpuAffinity: null, numaAffinity: null, gpuNumaId: null },
    ]);
    expect(topology.nicLegend).toEqual({ NIC0: 'mlx5_0' });
    expect(topology.legend).toEqual(LEGEND);
  });

  it('extra/ 8 GPUs all NV12 + 10 NICs, tabs, NIC rows ending in empty fields, 4 NUMA nodes', () => {
    const topology = parseTopoMatrix(readNvidiaSmiFixture('extra/topo-m-8gpu-nv12-10nic-tabs.txt'));
    expect(topology.devices.map((d) => d.label)).toEqual([
      'GPU0',
      'GPU1',
      'GPU2',
      'GPU3',
      'GPU4',
      'GPU5',
      'GPU6',
      'GPU7',
      'NIC0',
      'NIC1',
      'NIC2',
      'NIC3',
      'NIC4',
      'NIC5',
      'NIC6',
      'NIC7',
      'NIC8',
      'NIC9',
    ]);
    expect(rows(topology)[0]).toBe('X NV12 NV12 NV12 NV12 NV12 NV12 NV12 PXB PXB SYS SYS SYS SYS SYS SYS SYS SYS');
    expect(rows(topology)[6]).toBe('NV12 NV12 NV12 NV12 NV12 NV12 X NV12 SYS SYS SYS SYS SYS SYS PXB PXB SYS SYS');
    expect(rows(topology)[17]).toBe('SYS SYS SYS SYS SYS SYS SYS SYS SYS SYS SYS SYS SYS SYS SYS SYS PIX X');
    expect(affinities(topology).slice(0, 8)).toEqual([
      'GPU0 48-63,176-191 3 null',
      'GPU1 48-63,176-191 3 null',
      'GPU2 16-31,144-159 1 null',
      'GPU3 16-31,144-159 1 null',
      'GPU4 112-127,240-255 7 null',
      'GPU5 112-127,240-255 7 null',
      'GPU6 80-95,208-223 5 null',
      'GPU7 80-95,208-223 5 null',
    ]);
    expect(topology.devices[17]).toEqual({ label: 'NIC9', kind: 'nic', index: 9, deviceName: 'mlx5_9', cpuAffinity: null, numaAffinity: null, gpuNumaId: null });
    expect(Object.keys(topology.nicLegend)).toHaveLength(10);
  });

  it('gives an empty topology for text without a matrix', () => {
    expect(parseTopoMatrix(readNvidiaSmiFixture('nvlink-s-rtx4080super-driver595-no-nvlink.txt'))).toEqual({ devices: [], matrix: [], legend: {}, nicLegend: {} });
  });

  it('nvlinkCount reads the bond width', () => {
    expect([nvlinkCount('NV12'), nvlinkCount('NV4'), nvlinkCount('SYS'), nvlinkCount('X'), nvlinkCount(null)]).toEqual([12, 4, 0, 0, 0]);
  });
});
