import { describe, expect, it } from 'vitest';
import { checkTpPlacement } from './check-tp-placement.js';
import { nvlinkSets } from './nvlink-sets.js';
import { parseNvlinkStatus } from '../../../shared/parse-nvlink-status.js';
import { parseTopoMatrix } from '../../../shared/parse-topo-matrix.js';
import { readNvidiaSmiFixture } from '../../../test/fixtures/read-nvidia-smi-fixture.js';

const topo = (file: string) => parseTopoMatrix(readNvidiaSmiFixture(file));
const status = (file: string) => parseNvlinkStatus(readNvidiaSmiFixture(file));

describe('nvlinkSets', () => {
  it.each([
    ['topo-m-rtxa6000x3-nv4-node-ansi.txt', [[0, 1]]], // GPU2 has no bridge
    ['topo-m-rtx3090x2-nv4-driver560.txt', [[0, 1]]],
    ['topo-m-5gpu-sys-phb-node-driver580.txt', []],
    ['topo-m-h100x1-driver590-ansi.txt', []],
    ['extra/topo-m-h100pcie-x2-nv12-driver555.txt', [[0, 1]]],
    ['extra/topo-m-h100pcie-1nic-driver575.txt', []],
    ['extra/topo-m-8gpu-nv12-10nic-tabs.txt', [[0, 1, 2, 3, 4, 5, 6, 7]]], // NICs never join a set
  ])('from topology %s', (file, sets) => {
    expect(nvlinkSets(topo(file))).toEqual(sets);
  });

  it.each([
    ['nvlink-s-rtxa6000x3-2bridged-1inactive.txt', [[0, 1]]], // two GPUs with links up must be each other's peer
    ['nvlink-s-rtx3090x2-nvlink-driver560.txt', [[0, 1]]],
    ['extra/nvlink-s-h100pcie-x2-driver555-12of18-active.txt', [[0, 1]]],
    ['nvlink-s-h100sxm-driver590-18links.txt', []], // one GPU: its links go to NVSwitches, no GPU peer listed
    ['nvlink-s-rtx4080super-driver595-no-nvlink.txt', []],
    ['nvlink-s-rtx2080super-driver595-links-inactive.txt', []],
    ['nvlink-s-h100-mig-driver590.txt', []],
  ])('from nvlink --status %s', (file, sets) => {
    expect(nvlinkSets(status(file))).toEqual(sets);
  });

  it('from nvlink --status with more than two linked GPUs the pairing is unknown: no set', () => {
    const sixLinked = [...status('nvlink-s-rtx3090x2-nvlink-driver560.txt'), ...status('nvlink-s-rtxa6000x3-2bridged-1inactive.txt')].map((gpu, i) => ({ ...gpu, index: i }));
    expect(nvlinkSets(sixLinked)).toEqual([]);
  });
});

describe('checkTpPlacement', () => {
  const a6000 = topo('topo-m-rtxa6000x3-nv4-node-ansi.txt');
  const a6000Sets = nvlinkSets(a6000);

  it('warns when TP 2 spans the bridged and the unbridged A6000 while the bridged pair exists', () => {
    expect(checkTpPlacement([0, 2], 2, a6000Sets, a6000)).toEqual({
      warning: 'TP group [0, 2] talks over NODE (GPU0–GPU2, no NVLink), but GPUs [0, 1] are NVLink-connected (NV4); list them together in gpus.',
    });
    expect(checkTpPlacement([2, 1], 2, a6000Sets, a6000).warning).toContain('TP group [2, 1] talks over NODE (GPU2–GPU1');
  });

  it.each([
    ['the bridged pair', [0, 1], 2],
    ['the bridged pair in the other order', [1, 0], 2],
    ['TP 1', [2], 1],
    ['TP 3: no NVLink set of three exists, so PCIe is the only choice', [0, 1, 2], 3],
    ['DP 2 × TP 1 (no TP group to judge)', [0, 2], 1],
    ['a leftover GPU after full TP groups', [0, 1, 2], 2],
  ])('stays quiet for %s', (_, gpus, tp) => {
    expect(checkTpPlacement(gpus, tp, a6000Sets, a6000)).toEqual({});
  });

  it('judges every TP group of a DP layout, in gpus order', () => {
    const eight = topo('extra/topo-m-8gpu-nv12-10nic-tabs.txt');
    expect(checkTpPlacement([0, 1, 2, 3, 4, 5, 6, 7], 4, nvlinkSets(eight), eight)).toEqual({});
    expect(checkTpPlacement([2, 0, 1], 2, a6000Sets, a6000).warning).toContain('TP group [2, 0] talks over NODE');
  });

  it('stays quiet without NVLink anywhere (5 GPUs on SYS/PHB/NODE)', () => {
    const fiveGpu = topo('topo-m-5gpu-sys-phb-node-driver580.txt');
    expect(checkTpPlacement([0, 1], 2, nvlinkSets(fiveGpu), fiveGpu)).toEqual({});
  });

  it('does not judge GPUs the topology does not list', () => {
    const pair = topo('topo-m-rtx3090x2-nv4-driver560.txt');
    expect(checkTpPlacement([0, 5], 2, nvlinkSets(pair), pair)).toEqual({});
  });
});
