// Plain `nvidia-smi`: the default table, laid out exactly as smi-table-rtx3090x2-driver560.txt (column widths
// 41/24/22), with a timestamp line first as nvidia-smi prints it (the capture's author dropped theirs).

import type { ComputeApp } from './compute-apps.js';
import type { Scenario } from './scenarios.js';

const RULE = `+${'-'.repeat(41)}+${'-'.repeat(24)}+${'-'.repeat(22)}+`;
const HEAD = [
  `|${'-'.repeat(41)}+${'-'.repeat(24)}+${'-'.repeat(22)}+`,
  '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
  '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
  '|                                         |                        |               MIG M. |',
  `|${'='.repeat(41)}+${'='.repeat(24)}+${'='.repeat(22)}|`,
];
const PROCESSES_HEAD = [
  ' '.repeat(89),
  `+${'-'.repeat(89)}+`,
  `| Processes:${' '.repeat(78)}|`,
  '|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |',
  '|        ID   ID                                                               Usage      |',
  `|${'='.repeat(89)}|`,
];
const NO_PROCESSES = `|  No running processes found${' '.repeat(61)}|`;

/**
 * One process row in the layout of this header (driver 550/560). Column widths from a real driver-550 table
 * with an SGLang scheduler in it (see README.md, "Compute processes"):
 * `|    0   N/A  N/A      8715      C   sglang::scheduler_TP0                        7706MiB |`; a name longer
 * than 38 characters keeps its end behind `...` (`...iniconda3/envs/vllm_env/bin/python3` in the same capture).
 */
function processLine(app: ComputeApp): string {
  const name = app.processName.length > 38 ? `...${app.processName.slice(-35)}` : app.processName;
  return `|${String(app.gpu.index).padStart(5)}   N/A  N/A${String(app.pid).padStart(10)}${'C'.padStart(7)}   ${name.padEnd(38)}${`${app.usedMiB}MiB`.padStart(14)} |`;
}

/** The table for one tick; `live[i]` holds GPU i's fields as `--format=csv` prints them; `apps` the processes. */
export function smiTable(scenario: Scenario, live: Map<string, string>[], now: Date, apps: ComputeApp[] = []): string {
  const banner = `| NVIDIA-SMI ${scenario.driverVersion.padEnd(23)}Driver Version: ${scenario.driverVersion.padEnd(15)}CUDA Version: ${scenario.cudaVersion.padEnd(9)}|`;
  const gpuRows = scenario.gpus.flatMap((gpu, i) => [...gpuLines(gpu.index, live[i] ?? new Map<string, string>()), RULE]);
  const processes = apps.length === 0 ? [NO_PROCESSES] : apps.map(processLine);
  return [ctime(now), `+${'-'.repeat(89)}+`, banner, ...HEAD, ...gpuRows, ...PROCESSES_HEAD, ...processes, `+${'-'.repeat(89)}+`].map((l) => `${l}\n`).join('');
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
