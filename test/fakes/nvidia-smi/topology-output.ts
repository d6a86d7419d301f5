// `nvidia-smi -L`, `nvlink --status` and `topo -m` in the captured layouts.

import type { FakeGpu, Scenario } from './scenarios.js';

/** `-L`: the same `GPU n: name (UUID: …)` line that heads each GPU in `nvlink -s`. */
export function listGpus(gpus: FakeGpu[]): string {
  return gpus.map((gpu) => `${gpuLine(gpu)}\n`).join('');
}

/** `nvlink -s`: per GPU, tab-indented link lines (nvlink-s-rtx3090x2-nvlink-driver560.txt) or its "no NVLink" message. */
export function nvlinkStatus(gpus: FakeGpu[]): string {
  return gpus
    .map((gpu) => {
      const body = 'message' in gpu.nvlink ? [gpu.nvlink.message] : linkLines(gpu.nvlink.links, gpu.nvlink.speedGBs);
      return [gpuLine(gpu), ...body].map((line) => `${line}\n`).join('');
    })
    .join('');
}

/** `topo -m`: tab-separated, the header underlined with ANSI codes as nvidia-smi prints it even into a pipe. */
export function topoMatrix(scenario: Scenario): string {
  const labels = scenario.gpus.map((gpu) => `GPU${gpu.index}`);
  const header = `\t\x1b[4m${[...labels, 'CPU Affinity', 'NUMA Affinity', 'GPU NUMA ID'].join('\t')}\x1b[0m`;
  const rows = scenario.gpus.map((gpu, i) => {
    const cells = (scenario.matrix[i] ?? []).map((cell) => (cell === 'X' ? ' X ' : cell));
    // The empty field before N/A is in topo-m-rtx3090x2-nv4-driver560.txt and topo-m-h100x1-driver590-ansi.txt.
    return [`GPU${gpu.index}`, ...cells, gpu.cpuAffinity, String(gpu.numaNode), '', 'N/A'].join('\t');
  });
  return [header, ...rows, '', ...LEGEND].map((line) => `${line}\n`).join('');
}

function gpuLine(gpu: FakeGpu): string {
  return `GPU ${gpu.index}: ${gpu.name} (UUID: ${gpu.uuid})`;
}

function linkLines(count: number, speedGBs: string): string[] {
  return Array.from({ length: count }, (_, link) => `\t Link ${link}: ${speedGBs} GB/s`);
}

// Verbatim from every topo -m capture.
const LEGEND = [
  'Legend:',
  '',
  '  X    = Self',
  '  SYS  = Connection traversing PCIe as well as the SMP interconnect between NUMA nodes (e.g., QPI/UPI)',
  '  NODE = Connection traversing PCIe as well as the interconnect between PCIe Host Bridges within a NUMA node',
  '  PHB  = Connection traversing PCIe as well as a PCIe Host Bridge (typically the CPU)',
  '  PXB  = Connection traversing multiple PCIe bridges (without traversing the PCIe Host Bridge)',
  '  PIX  = Connection traversing at most a single PCIe bridge',
  '  NV#  = Connection traversing a bonded set of # NVLinks',
];
