// The engine's other nvidia-smi reads (besides the sampler): `topo -m` and `nvlink --status`, read once at
// start and again on demand. Either may fail on its own (old drivers, MIG, no NVLink support).

import type { GpuTopologySnapshot, NvlinkStatus, Topology } from '../../../shared/gpu-types.js';
import { parseNvlinkStatus } from '../../../shared/parse-nvlink-status.js';
import { parseTopoMatrix } from '../../../shared/parse-topo-matrix.js';
import { nvidiaSmiProblem, runNvidiaSmi } from '../../system/nvidia-smi/run-nvidia-smi.js';
import { nvlinkSets } from './nvlink-sets.js';

const READ_TIMEOUT_MS = 15_000;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Reads both; never throws. A missing nvidia-smi gives nulls and one error line per part. */
export async function readTopology(nvidiaSmiPath = 'nvidia-smi', now: () => number = Date.now): Promise<GpuTopologySnapshot> {
  const [topo, links] = await Promise.all([run(nvidiaSmiPath, ['topo', '-m']), run(nvidiaSmiPath, ['nvlink', '--status'])]);
  const errors: string[] = [];
  const topology = readPart(topo, 'topo -m', errors, (text) => {
    const parsed = parseTopoMatrix(text);
    return parsed.devices.length > 0 ? parsed : null;
  });
  const nvlink = readPart(links, 'nvlink --status', errors, (text) => parseNvlinkStatus(text));
  return { atMs: now(), topology, nvlink, nvlinkSets: setsOf(topology, nvlink), errors };
}

function setsOf(topology: Topology | null, nvlink: NvlinkStatus[] | null): number[][] {
  if (topology) return nvlinkSets(topology);
  return nvlink ? nvlinkSets(nvlink) : [];
}

interface RunResult {
  ok: boolean;
  output: string;
}

function readPart<T>(result: RunResult, what: string, errors: string[], parse: (text: string) => T | null): T | null {
  if (!result.ok) {
    errors.push(`nvidia-smi ${what}: ${firstLine(result.output)}`);
    return null;
  }
  const parsed = parse(result.output);
  if (parsed === null) errors.push(`nvidia-smi ${what}: unreadable output (${firstLine(result.output)})`);
  return parsed;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] || 'no output';
}

async function run(path: string, args: string[]): Promise<RunResult> {
  // A hung nvidia-smi (a GPU fallen off the bus) is SIGKILLed after READ_TIMEOUT_MS.
  const result = await runNvidiaSmi(path, args, { timeoutMs: READ_TIMEOUT_MS, maxOutputBytes: MAX_OUTPUT_BYTES });
  if (result.failure?.kind === 'missing') return { ok: false, output: `not found at ${path}` };
  const problem = nvidiaSmiProblem(result) ?? (result.code !== 0 ? `exit code ${result.code}` : null);
  return problem === null ? { ok: true, output: result.stdout } : { ok: false, output: `${result.stderr}${result.stdout}` || problem };
}
