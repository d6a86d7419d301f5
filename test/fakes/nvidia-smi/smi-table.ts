// Plain `nvidia-smi`: the default table, laid out exactly as smi-table-rtx3090x2-driver560.txt (column widths
// 41/24/22), with a timestamp line first as nvidia-smi prints it (the capture's author dropped theirs).

import type { Scenario } from './scenarios.js';

const RULE = `+${'-'.repeat(41)}+${'-'.repeat(24)}+${'-'.repeat(22)}+`;
const HEAD = [
  `|${'-'.repeat(41)}+${'-'.repeat(24)}+${'-'.repeat(22)}+`,
  '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
  '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
  '|                                         |                        |               MIG M. |',
  `|${'='.repeat(41)}+${'='.repeat(24)}+${'='.repeat(22)}|`,
];
const PROCESSES = [
  ' '.repeat(89),
  `+${'-'.repeat(89)}+`,
  `| Processes:${' '.repeat(78)}|`,
  '|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |',
  '|        ID   ID                                                               Usage      |',
  `|${'='.repeat(89)}|`,
  `|  No running processes found${' '.repeat(61)}|`,
  `+${'-'.repeat(89)}+`,
];

/** The table for one tick; `live[i]` holds GPU i's fields as `--format=csv` prints them. */
export function smiTable(scenario: Scenario, live: Map<string, string>[], now: Date): string {
  const banner = `| NVIDIA-SMI ${scenario.driverVersion.padEnd(23)}Driver Version: ${scenario.driverVersion.padEnd(15)}CUDA Version: ${scenario.cudaVersion.padEnd(9)}|`;
  const gpuRows = scenario.gpus.flatMap((gpu, i) => [...gpuLines(gpu.index, live[i] ?? new Map<string, string>()), RULE]);
  return [ctime(now), `+${'-'.repeat(89)}+`, banner, ...HEAD, ...gpuRows, ...PROCESSES].map((l) => `${l}\n`).join('');
}

function gpuLines(index: number, f: Map<string, string>): string[] {
  const text = (field: string) => (f.get(field) ?? '[N/A]').replace(/^\[(.*)\]$/, '$1');
  const num = (field: string) => Number.parseFloat(f.get(field) ?? '');
  const onOff = (field: string) => (text(field) === 'Enabled' ? 'On' : 'Off');
  const fan = text('fan.speed').replace(' %', '%');
  const drawW = Number.isFinite(num('power.draw')) ? `${Math.round(num('power.draw'))}W` : 'N/A';
  const memory = `${num('memory.used')}MiB`.padStart(11) + ' / ' + `${num('memory.total')}MiB`.padStart(9) + ' ';
  return [
    `|${`${String(index).padStart(4)}  ${text('name').padEnd(29)}${onOff('persistence_mode').padStart(4)}  `}|${`   ${text('pci.bus_id')} ${onOff('display_active').padEnd(3)} `}|${`${text('ecc.mode.current').padStart(21)} `}|`,
    `|${fan.padStart(4)}${`${text('temperature.gpu')}C`.padStart(6)}${text('pstate').padStart(6)}${drawW.padStart(16)} / ${`${Math.round(num('power.limit'))}W`.padStart(5)} |${memory}|${text('utilization.gpu').replace(' %', '%').padStart(8)}${text('compute_mode').padStart(13)} |`,
    `|${' '.repeat(41)}|${' '.repeat(24)}|${`${text('mig.mode.current').padStart(21)} `}|`,
  ];
}

/** `Thu Nov 14 14:58:00 2024`, as ctime(3) prints it. */
function ctime(d: Date): string {
  const [day, month] = [d.toDateString().slice(0, 3), d.toDateString().slice(4, 7)];
  return `${day} ${month} ${String(d.getDate()).padStart(2)} ${d.toTimeString().slice(0, 8)} ${d.getFullYear()}`;
}
