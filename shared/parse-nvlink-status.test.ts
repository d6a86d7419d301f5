import { describe, expect, it } from 'vitest';
import type { NvlinkStatus } from './gpu-types.js';
import { hasActiveNvlink, parseNvlinkStatus } from './parse-nvlink-status.js';
import { readNvidiaSmiFixture } from '../test/fixtures/read-nvidia-smi-fixture.js';

const MASKED = 'GPU-00000000-0000-0000-0000-000000000000';

function activeLinks(count: number, speedGBs: number) {
  return Array.from({ length: count }, (_, link) => ({ link, speedGBs, active: true }));
}

/** [links up, links down] per GPU: the shape of a whole capture in one line. */
function linkCounts(gpus: NvlinkStatus[]): [number, number][] {
  return gpus.map((g) => [g.links.filter((l) => l.active).length, g.links.filter((l) => !l.active).length]);
}

describe('parseNvlinkStatus', () => {
  it('2× RTX 3090 with a bridge (560): 4 links at 14.062 GB/s each, redacted UUIDs kept as printed', () => {
    const gpus = parseNvlinkStatus(readNvidiaSmiFixture('nvlink-s-rtx3090x2-nvlink-driver560.txt'));
    expect(gpus.map((g) => [g.index, g.name, g.uuid])).toEqual([
      [0, 'NVIDIA GeForce RTX 3090', 'GPU-略-332e-08e4-72fe-略'],
      [1, 'NVIDIA GeForce RTX 3090', 'GPU-略-cf8f-1503-b7b9-略'],
    ]);
    expect(gpus[0]?.links).toEqual(activeLinks(4, 14.062));
    expect(gpus[1]?.links).toEqual(activeLinks(4, 14.062));
    expect(gpus.map((g) => g.none)).toEqual([undefined, undefined]);
  });

  it('3× RTX A6000, two bridged: the third prints the "NVLink … inActive" message', () => {
    const gpus = parseNvlinkStatus(readNvidiaSmiFixture('nvlink-s-rtxa6000x3-2bridged-1inactive.txt'));
    expect(gpus.map((g) => g.uuid)).toEqual(['GPU-5baec991-de63-c196-1766-04c38407e133', 'GPU-39fc2446-cb50-2067-2867-d95efd470a2c', 'GPU-02c05ee3-bdb5-aac7-f9e8-a4c8f3f725b3']);
    expect(linkCounts(gpus)).toEqual([
      [4, 0],
      [4, 0],
      [0, 0],
    ]);
    expect(gpus[2]).toEqual({
      index: 2,
      name: 'NVIDIA RTX A6000',
      uuid: 'GPU-02c05ee3-bdb5-aac7-f9e8-a4c8f3f725b3',
      links: [],
      none: 'all-links-inactive',
      message: 'NVML: Unable to retrieve NVLink information as all links are inActive',
    });
    expect(gpus.map(hasActiveNvlink)).toEqual([true, true, false]);
  });

  it('H100 SXM (590): 18 links at 26.562 GB/s', () => {
    const [gpu, ...rest] = parseNvlinkStatus(readNvidiaSmiFixture('nvlink-s-h100sxm-driver590-18links.txt'));
    expect(rest).toEqual([]);
    expect(gpu).toEqual({ index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: MASKED, links: activeLinks(18, 26.562) });
  });

  it.each([
    ['nvlink-s-rtx4080super-driver595-no-nvlink.txt', 'NVIDIA GeForce RTX 4080 SUPER', 'not-supported', 'Device does not have or support Nvlink'],
    ['nvlink-s-rtx2080super-driver595-links-inactive.txt', 'NVIDIA GeForce RTX 2080 SUPER', 'all-links-inactive', 'NVML: Unable to retrieve Nvlink information as all links are inActive'],
    ['nvlink-s-h100-mig-driver590.txt', 'NVIDIA H100 80GB HBM3', 'mig-mode', 'Nvlink queries are not supported for Devices in MIG mode'],
  ])('%s: one GPU, no links, reason %s', (file, name, none, message) => {
    expect(parseNvlinkStatus(readNvidiaSmiFixture(file))).toEqual([{ index: 0, name, uuid: MASKED, links: [], none, message }]);
  });

  it('extra/ 2× H100 PCIe with bridges (555): links 4,5,10,11,16,17 <inactive> on both, tabs expanded to spaces', () => {
    const gpus = parseNvlinkStatus(readNvidiaSmiFixture('extra/nvlink-s-h100pcie-x2-driver555-12of18-active.txt'));
    expect(gpus.map((g) => g.uuid)).toEqual(['GPU-6968dfc2-d444-d92c-c36b-6abe53445cb9', 'GPU-9b1446e2-8a89-4cf6-b68c-a98d99e958d3']);
    expect(linkCounts(gpus)).toEqual([
      [12, 6],
      [12, 6],
    ]);
    for (const gpu of gpus) {
      expect(gpu.links.filter((l) => !l.active).map((l) => l.link)).toEqual([4, 5, 10, 11, 16, 17]);
      expect(gpu.links[4]).toEqual({ link: 4, speedGBs: null, active: false });
      expect(gpu.links[17]).toEqual({ link: 17, speedGBs: null, active: false });
      expect(gpu.links[12]).toEqual({ link: 12, speedGBs: 26.562, active: true });
    }
  });

  it('ignores output with no GPU header (nvidia-smi failing before it lists anything)', () => {
    // The fixture pool has no such capture; the first line of a -pl error stands in for "not nvlink output".
    expect(parseNvlinkStatus(readNvidiaSmiFixture('pl-error-insufficient-permissions.txt'))).toEqual([]);
  });
});
