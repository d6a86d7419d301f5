/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { parseNvlinkStatus } from '../../../shared/parse-nvlink-status.js';
import { parseTopoMatrix } from '../../../shared/parse-topo-matrix.js';
import nvlinkA6000 from '../../../test/fixtures/nvidia-smi/nvlink-s-rtxa6000x3-2bridged-1inactive.txt?raw';
import topo8gpu from '../../../test/fixtures/nvidia-smi/extra/topo-m-8gpu-nv12-10nic-tabs.txt?raw';
import topo3090 from '../../../test/fixtures/nvidia-smi/topo-m-rtx3090x2-nv4-driver560.txt?raw';
import topo5gpu from '../../../test/fixtures/nvidia-smi/topo-m-5gpu-sys-phb-node-driver580.txt?raw';
import topoA6000 from '../../../test/fixtures/nvidia-smi/topo-m-rtxa6000x3-nv4-node-ansi.txt?raw';
import { buildTopologyGrid, describeNvlinkSet, nvlinkOf } from './topology-grid.js';

// The engine's own parsers over real captures: the Topology they return is what gpu.overview carries.
describe('buildTopologyGrid over real topo -m captures', () => {
  it('3× RTX A6000: the bridged pair 0–1 is marked NVLink, GPU 2 hangs off the host bridge', () => {
    const grid = buildTopologyGrid(parseTopoMatrix(topoA6000));
    expect(grid.columns).toEqual(['GPU0', 'GPU1', 'GPU2']);
    expect(grid.rows.map((r) => r.cells.map((c) => c.kind))).toEqual([
      ['self', 'nvlink', 'pcie-host'],
      ['nvlink', 'self', 'pcie-host'],
      ['pcie-host', 'pcie-host', 'self'],
    ]);
    expect(grid.rows[0]?.cells[1]).toEqual({ text: 'NV4', kind: 'nvlink', nvlinks: 4, title: 'GPU0 ↔ GPU1: 4 bonded NVLinks' });
    expect(grid.nvlinkPairs).toEqual([[0, 1]]);
    expect(grid.legend.map((l) => l.symbol)).toEqual(['X', 'NV#', 'NODE']);
    expect(grid.legend[1]?.description).toBe('Connection traversing a bonded set of # NVLinks');
    expect(grid.rows[2]).toMatchObject({ cpuAffinity: '0-31,64-95', numaAffinity: '0' });
  });

  it('2× RTX 3090 with an NV4 bridge', () => {
    expect(buildTopologyGrid(parseTopoMatrix(topo3090)).nvlinkPairs).toEqual([[0, 1]]);
  });

  it('5 GPUs on PCIe only: no NVLink pairs; SYS across sockets, PHB/NODE within', () => {
    const grid = buildTopologyGrid(parseTopoMatrix(topo5gpu));
    expect(grid.nvlinkPairs).toEqual([]);
    expect(grid.rows[0]?.cells.map((c) => c.text)).toEqual(['X', 'SYS', 'SYS', 'SYS', 'SYS']);
    expect(grid.rows[1]?.cells.map((c) => c.kind)).toEqual(['cross-socket', 'self', 'pcie-host', 'pcie-host', 'pcie-host']);
    expect(grid.legend.some((l) => l.symbol === 'NV#')).toBe(false);
  });

  it('8 GPUs fully NV12-connected with 10 NICs: NICs hidden unless asked', () => {
    const topology = parseTopoMatrix(topo8gpu);
    const gpusOnly = buildTopologyGrid(topology);
    expect(gpusOnly.columns).toHaveLength(8);
    expect(gpusOnly.nvlinkPairs).toHaveLength(28);
    expect(gpusOnly.rows[0]?.cells[7]).toMatchObject({ kind: 'nvlink', nvlinks: 12 });
    const withNics = buildTopologyGrid(topology, { includeNics: true });
    expect(withNics.columns).toHaveLength(18);
    expect(withNics.rows[0]?.cells[8]).toMatchObject({ text: 'PXB', kind: 'pcie-switch' });
    expect(withNics.nvlinkPairs).toHaveLength(28);
  });
});

describe('nvlinkOf / describeNvlinkSet', () => {
  const nvlink = parseNvlinkStatus(nvlinkA6000);
  it('finds a GPU’s links by UUID, falling back to the index', () => {
    expect(nvlinkOf(nvlink, { uuid: 'GPU-39fc2446-cb50-2067-2867-d95efd470a2c', index: 9 })?.links).toHaveLength(4);
    expect(nvlinkOf(nvlink, { uuid: 'unknown', index: 2 })?.none).toBe('all-links-inactive');
    expect(nvlinkOf(null, { uuid: 'x', index: 0 })).toBeNull();
  });

  it('names a set', () => {
    expect(describeNvlinkSet([1, 2])).toBe('GPU 1 ↔ GPU 2');
  });
});
