import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nvlinkSets } from '../../../electron/engine/gpu/nvlink-sets.js';
import { parseNvlinkStatus } from '../../../shared/parse-nvlink-status.js';
import { parsePowerLimitOutput } from '../../../electron/system/nvidia-smi/parse-power-limit-output.js';
import { parseQueryCsv } from '../../../electron/system/nvidia-smi/parse-query-csv.js';
import { parseTopoMatrix } from '../../../shared/parse-topo-matrix.js';
import { SAMPLE_FIELDS } from '../../../electron/system/nvidia-smi/query-fields.js';
import { toGpuSample } from '../../../electron/system/nvidia-smi/to-gpu-sample.js';
import { readCapture } from './read-capture.js';

const FAKE = fileURLToPath(new URL('../bin/nvidia-smi', import.meta.url));
const UUIDS = [
  'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746',
  'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281bff01',
  'GPU-4aba3cfa-7b42-cca6-97f4-5cdd281bff02',
  'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4623e',
  'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4ff04',
  'GPU-74e6e433-5193-b31f-b8b5-7a54c8b4ff05',
] as const;
const BUS_IDS = ['00000000:41:00.0', '00000000:42:00.0', '00000000:43:00.0', '00000000:81:00.0', '00000000:82:00.0', '00000000:C1:00.0'] as const;
const LIMITS = ['power.limit', 'enforced.power.limit', 'power.min_limit', 'power.max_limit', 'power.default_limit'];

let dir: string;
let env: NodeJS.ProcessEnv;

/** Runs the fake from another cwd; resolves with its output and exit code (never rejects on a non-zero exit). */
function smi(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve) => {
    execFile(FAKE, args, { cwd: tmpdir(), env: { ...env, ...extra } }, (err, stdout) => resolve({ stdout, code: typeof err?.code === 'number' ? err.code : 0 }));
  });
}

async function query(fields: readonly string[], extra: NodeJS.ProcessEnv = {}) {
  const { stdout, code } = await smi([`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'], extra);
  expect(code).toBe(0);
  return parseQueryCsv(stdout, fields);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fake-nvidia-smi-'));
  env = { ...process.env, FAKE_NVIDIA_SMI_STATE: join(dir, 'state.json'), FAKE_NVIDIA_SMI_PRIVILEGED: '1' };
  delete env.FAKE_NVIDIA_SMI_SCENARIO;
});

afterEach(() => rm(dir, { recursive: true, force: true }));

describe('fake nvidia-smi, scenario rtx3090x6 (the default)', () => {
  it("answers the sampler's query with six 3090s: captured identities, 100..350 W limits, draw under the limit", async () => {
    const table = await query([...SAMPLE_FIELDS, 'power.draw.instant']);
    expect(table.rejectedLines).toEqual([]);
    const samples = table.rows.map((row) => toGpuSample(row, 0)!);
    expect(samples.map((s) => [s.index, s.uuid, s.busId, s.name])).toEqual(UUIDS.map((uuid, i) => [i, uuid, BUS_IDS[i], 'NVIDIA GeForce RTX 3090']));
    for (const s of samples) {
      expect([s.powerLimitW, s.enforcedPowerLimitW, s.minPowerLimitW, s.maxPowerLimitW, s.defaultPowerLimitW]).toEqual([350, 350, 100, 350, 350]);
      expect(s).toMatchObject({ memTotalMiB: 24576, memUsedMiB: 2, pstate: 'P8', smClockMHz: 210 });
      expect(s.powerDrawW).toBeGreaterThan(20);
      expect(s.powerDrawW).toBeLessThanOrEqual(350);
      expect(Math.abs(s.tempC! - 30)).toBeLessThanOrEqual(2);
    }
  });

  it('prints a header with units, keeps units in values without nounits, and names aliases canonically', async () => {
    const { stdout } = await smi(['--query-gpu=index,gpu_uuid,power.draw,clocks.sm,temperature.gpu,ecc.mode.current', '--format=csv']);
    const table = parseQueryCsv(stdout);
    expect(table.fields).toEqual(['index', 'uuid', 'power.draw', 'clocks.current.sm', 'temperature.gpu', 'ecc.mode.current']);
    expect(table.units).toEqual([null, null, 'W', 'MHz', null, null]);
    expect(stdout.split('\n')[1]).toMatch(/^0, GPU-4aba3cfa-7b42-cca6-97f4-5cdd281b0746, \d+\.\d\d W, 210 MHz, \d+, \[N\/A\]$/);
    expect(table.rows[0]?.['ecc.mode.current']).toBeNull();
  });

  it('refuses an unknown field as nvidia-smi does, and answers --help-query-gpu from the 595 capture', async () => {
    expect(await smi(['--query-gpu=index,power.bogus', '--format=csv'])).toEqual({ stdout: 'Field "power.bogus" is not a valid field to query.\n\n', code: 2 });
    expect((await smi(['--help-query-gpu'])).stdout).toBe(readCapture('help-query-gpu-driver595.txt'));
  });

  it('shows two NVLink pairs (1–2, 3–4) in nvlink -s and topo -m, and GPUs 0 and 5 without links', async () => {
    const status = parseNvlinkStatus((await smi(['nvlink', '--status'])).stdout);
    expect(status.map((g) => [g.index, g.uuid, g.links.filter((l) => l.active && l.speedGBs === 14.062).length, g.none ?? null])).toEqual([
      [0, UUIDS[0], 0, 'all-links-inactive'],
      [1, UUIDS[1], 4, null],
      [2, UUIDS[2], 4, null],
      [3, UUIDS[3], 4, null],
      [4, UUIDS[4], 4, null],
      [5, UUIDS[5], 0, 'all-links-inactive'],
    ]);
    expect(parseNvlinkStatus((await smi(['nvlink', '-s', '-i', '5'])).stdout)).toEqual([status[5]]);
    const topology = parseTopoMatrix((await smi(['topo', '-m'])).stdout);
    expect(topology.matrix).toEqual([
      ['X', 'PHB', 'PHB', 'SYS', 'SYS', 'SYS'],
      ['PHB', 'X', 'NV4', 'SYS', 'SYS', 'SYS'],
      ['PHB', 'NV4', 'X', 'SYS', 'SYS', 'SYS'],
      ['SYS', 'SYS', 'SYS', 'X', 'NV4', 'NODE'],
      ['SYS', 'SYS', 'SYS', 'NV4', 'X', 'NODE'],
      ['SYS', 'SYS', 'SYS', 'NODE', 'NODE', 'X'],
    ]);
    expect(topology.devices.map((d) => [d.label, d.cpuAffinity, d.numaAffinity, d.gpuNumaId])).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => [`GPU${i}`, i < 3 ? '0-23,48-71' : '24-47,72-95', i < 3 ? '0' : '1', null]),
    );
    expect(Object.keys(topology.legend)).toEqual(['X', 'SYS', 'NODE', 'PHB', 'PXB', 'PIX', 'NV#']);
    expect(nvlinkSets(topology)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('lists GPUs with -L, selected by index, UUID or bus id', async () => {
    const { stdout } = await smi(['-L']);
    expect(stdout.split('\n').filter(Boolean)).toEqual(UUIDS.map((uuid, i) => `GPU ${i}: NVIDIA GeForce RTX 3090 (UUID: ${uuid})`));
    expect((await smi(['-L', '-i', `2,${UUIDS[4]},c1:00.0`])).stdout).toMatch(/^GPU 2: .*\nGPU 4: .*\nGPU 5: .*\n$/);
    expect(await smi(['-L', '-i', '6'])).toEqual({ stdout: 'No devices were found\n', code: 6 });
  });

  it('sets a limit with -i -pl, printing the real success text, and keeps it for later invocations', async () => {
    const out = await smi(['-i', BUS_IDS[1], '-pl', '300']);
    expect(out).toEqual({ stdout: `Power limit for GPU ${BUS_IDS[1]} was set to 300.00 W from 350.00 W.\nAll done.\n`, code: 0 });
    expect(parsePowerLimitOutput(out.stdout)).toMatchObject({ ok: true, changes: [{ busId: BUS_IDS[1], powerLimitW: 300, previousW: 350 }], persistenceModeOff: false });
    const rows = (await query(['uuid', ...LIMITS, 'power.draw'])).rows;
    expect(rows.map((r) => Number(r['power.limit']))).toEqual([350, 300, 350, 350, 350, 350]);
    expect(Number(rows[1]?.['enforced.power.limit'])).toBe(300);
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'))).toEqual({ version: 1, scenario: 'rtx3090x6', gpus: { [BUS_IDS[1]]: { powerLimitW: 300 } } });
  });

  it('sets every GPU with -pl alone', async () => {
    const out = parsePowerLimitOutput((await smi(['-pl', '250'])).stdout);
    expect(out).toMatchObject({ ok: true, allDone: true, errors: [] });
    expect(out.changes.map((c) => c.busId)).toEqual(BUS_IDS);
    expect((await query(['power.limit'])).rows.map((r) => r['power.limit'])).toEqual(Array(6).fill('250.00'));
  });

  it("refuses a limit out of range with the GPU's real bounds, exit 2, nothing changed", async () => {
    const out = await smi(['-i', UUIDS[3], '-pl', '400']);
    expect(out).toEqual({
      stdout: `Provided power limit 400.00 W is not a valid power limit which should be between 100.00 W and 350.00 W for GPU ${BUS_IDS[3]}\nTerminating early due to previous errors.\n`,
      code: 2,
    });
    expect(parsePowerLimitOutput(out.stdout).errors).toEqual([{ kind: 'out-of-range', busId: BUS_IDS[3], requestedW: 400, minW: 100, maxW: 350 }]);
    expect((await query(['power.limit'])).rows[3]?.['power.limit']).toBe('350.00');
  });

  it('says Insufficient Permissions when not privileged', async () => {
    const out = await smi(['-i', '0', '-pl', '300'], { FAKE_NVIDIA_SMI_PRIVILEGED: '0' });
    expect(out).toEqual({ stdout: `Failed to set power management limit for GPU ${BUS_IDS[0]}: Insufficient Permissions\n`, code: 4 });
    expect(parsePowerLimitOutput(out.stdout).errors).toEqual([{ kind: 'insufficient-permissions', busId: BUS_IDS[0] }]);
  });

  it('treats an unsupported GPU as a warning and exits 0 without changing it', async () => {
    const out = await smi(['-i', '5', '-pl', '300'], { FAKE_NVIDIA_SMI_UNSUPPORTED_PL: '00000000:c1:00.0' });
    expect(out).toEqual({ stdout: `Changing power management limit is not supported for GPU: ${BUS_IDS[5]}.\nTreating as warning and moving on.\nAll done.\n`, code: 0 });
    expect(parsePowerLimitOutput(out.stdout)).toMatchObject({ ok: false, errors: [{ kind: 'not-supported', busId: BUS_IDS[5] }], allDone: true });
    expect((await query(['power.limit'])).rows[5]?.['power.limit']).toBe('350.00');
  });

  it('turns a field [N/A] on request', async () => {
    const rows = (await query(['index', 'power.draw', 'fan.speed'], { FAKE_NVIDIA_SMI_NA: 'power.draw' })).rows;
    expect(rows.map((r) => [r['power.draw'], r['fan.speed'] !== null])).toEqual(Array(6).fill([null, true]));
  });

  it('prints the default table in the captured layout', async () => {
    const lines = (await smi([])).stdout.split('\n');
    const capture = readCapture('smi-table-rtx3090x2-driver560.txt').split('\n');
    expect(lines[0]).toMatch(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    expect(lines.slice(1, 9)).toEqual(capture.slice(0, 8));
    expect(lines[9]).toMatch(/^\| \d\d%   \d\dC    P8             \d\dW \/  350W \|       2MiB \/  24576MiB \|      \d%      Default \|$/);
    expect(lines.slice(-9)).toEqual(capture.slice(-9));
  });
});

describe('fake nvidia-smi -lms loop', () => {
  /** Starts a loop and collects its stdout lines until it exits or is stopped. */
  function loop(args: string[], extra: NodeJS.ProcessEnv = {}) {
    const child = spawn(FAKE, args, { env: { ...env, ...extra } });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { lines: () => text.split('\n'), text: () => text, exited, stop: () => child.kill('SIGTERM') };
  }
  const until = async (check: () => boolean, what: string) => {
    for (const deadline = Date.now() + 20_000; !check(); await new Promise((r) => setTimeout(r, 25))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    }
  };

  it('prints one line per GPU per tick and shows a -pl made meanwhile', async () => {
    const sampler = loop(['--query-gpu=index,power.limit,power.draw', '--format=csv,noheader,nounits', '-lms', '100']);
    await until(() => sampler.lines().length > 12, 'two ticks');
    await smi(['-i', BUS_IDS[4], '-pl', '200']);
    await until(() => sampler.lines().some((l) => l.startsWith('4, 200.00, ')), 'the new limit in the loop');
    sampler.stop();
    await sampler.exited;
    const ticks = sampler
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => parseQueryCsv(l, ['index', 'power.limit', 'power.draw']).rows[0]);
    expect(ticks.slice(0, 6).map((r) => r?.index)).toEqual(['0', '1', '2', '3', '4', '5']);
    const last4 = ticks.filter((r) => r?.index === '4').at(-1)!;
    expect(Number(last4['power.draw'])).toBeLessThanOrEqual(200);
  });

  it('dies mid-line after N ticks with FAKE_NVIDIA_SMI_FAIL=exit-after:N, and turns a field [N/A] from a tick on', async () => {
    const sampler = loop(['--query-gpu=index,power.draw', '--format=csv,noheader,nounits', '-lms', '50'], { FAKE_NVIDIA_SMI_FAIL: 'exit-after:3', FAKE_NVIDIA_SMI_NA: 'power.draw@2' });
    expect(await sampler.exited).toBe(1);
    const table = parseQueryCsv(sampler.text(), ['index', 'power.draw']);
    expect(table.rows).toHaveLength(18);
    expect(table.rows.map((r) => r['power.draw'] === null)).toEqual([...Array(6).fill(false), ...Array(12).fill(true)]);
    expect(table.rejectedLines).toEqual([19]);
  });
});

describe('fake nvidia-smi, scenario rtx4080super', () => {
  const extra = { FAKE_NVIDIA_SMI_SCENARIO: 'rtx4080super' };

  it('answers from the 4080 SUPER captures: 150..400 W, no NVLink, persistence off', async () => {
    const [row] = (await query(['uuid', 'pci.bus_id', 'name', ...LIMITS, 'persistence_mode', 'power.management'], extra)).rows;
    expect(row).toEqual({
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      'pci.bus_id': '00000000:01:00.0',
      name: 'NVIDIA GeForce RTX 4080 SUPER',
      'power.limit': '320.00',
      'enforced.power.limit': '320.00',
      'power.min_limit': '150.00',
      'power.max_limit': '400.00',
      'power.default_limit': '320.00',
      persistence_mode: 'Disabled',
      'power.management': null,
    });
    expect((await smi(['nvlink', '-s'], extra)).stdout).toBe(readCapture('nvlink-s-rtx4080super-driver595-no-nvlink.txt'));
    const topology = parseTopoMatrix((await smi(['topo', '-m'], extra)).stdout);
    expect(topology.matrix).toEqual([['X']]);
  });

  it('warns that persistence mode is off after a change', async () => {
    const out = parsePowerLimitOutput((await smi(['-pl', '300'], extra)).stdout);
    expect(out).toMatchObject({ ok: true, persistenceModeOff: true, allDone: true, changes: [{ busId: '00000000:01:00.0', powerLimitW: 300, previousW: 320 }] });
  });
});

describe('fake nvidia-smi, compute processes (simulated SGLang servers)', () => {
  /** Registers processes as the simulator does: `<state>.procs/<owner>.json`. */
  async function register(owner: number, processes: { pid: number; processName: string; gpu: string; usedMiB: number }[]) {
    await mkdir(join(dir, 'state.json.procs'), { recursive: true });
    await writeFile(join(dir, 'state.json.procs', `${owner}.json`), JSON.stringify({ version: 1, owner: { pid: owner, startTicks: null }, processes }));
  }
  /** A pid that existed and is gone now. */
  const deadPid = () =>
    new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.on('exit', () => resolve(child.pid!));
    });

  it('prints only the header when nothing runs, as the driver-590/595/610 captures do, and nothing with noheader', async () => {
    expect(await smi(['--query-compute-apps=timestamp,gpu_name,gpu_bus_id,gpu_serial,gpu_uuid,pid,process_name,used_gpu_memory', '--format=csv'])).toEqual({
      stdout: 'timestamp, gpu_name, gpu_bus_id, gpu_serial, gpu_uuid, pid, process_name, used_gpu_memory [MiB]\n',
      code: 0,
    });
    expect(await smi(['--query-compute-apps=pid,used_memory', '--format=csv,noheader'])).toEqual({ stdout: '', code: 0 });
    expect((await smi([])).stdout).toContain(`|  No running processes found${' '.repeat(61)}|\n`);
  });

  it("lists a registered process per GPU with the captures' header names, units and aliases, and adds its memory to the GPU", async () => {
    const before = (await query(['index', 'memory.used', 'memory.free'])).rows;
    await register(process.pid, [
      { pid: process.pid, processName: 'sglang::scheduler_TP0', gpu: '1', usedMiB: 20480 },
      { pid: process.pid, processName: 'sglang::scheduler_TP1', gpu: UUIDS[2], usedMiB: 20481 },
    ]);
    const { stdout } = await smi(['--query-compute-apps=pid,process_name,used_memory,gpu_uuid,gpu_bus_id,gpu_name', '--format=csv']);
    expect(stdout).toBe(
      'pid, process_name, used_gpu_memory [MiB], gpu_uuid, gpu_bus_id, gpu_name\n' +
        `${process.pid}, sglang::scheduler_TP0, 20480 MiB, ${UUIDS[1]}, ${BUS_IDS[1]}, NVIDIA GeForce RTX 3090\n` +
        `${process.pid}, sglang::scheduler_TP1, 20481 MiB, ${UUIDS[2]}, ${BUS_IDS[2]}, NVIDIA GeForce RTX 3090\n`,
    );
    // `name` and `used_gpu_memory` as in the nvidia-docker #1483 capture: the header keeps the canonical names.
    expect((await smi(['--query-compute-apps=pid,name,used_gpu_memory', '--format=csv'])).stdout.split('\n')[0]).toBe('pid, process_name, used_gpu_memory [MiB]');
    expect((await smi(['-i', '2', '--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'])).stdout).toBe(`${process.pid}, 20481\n`);
    const timestamped = (await smi(['--query-compute-apps=timestamp,gpu_serial,pid', '--format=csv,noheader'])).stdout.split('\n');
    expect(timestamped[0]).toMatch(new RegExp(`^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}, \\[N/A\\], ${process.pid}$`));
    const after = (await query(['index', 'memory.used', 'memory.free'])).rows;
    expect(after.map((r, i) => Number(r['memory.used']) - Number(before[i]?.['memory.used']))).toEqual([0, 20480, 20481, 0, 0, 0]);
    expect(after.map((r, i) => Number(before[i]?.['memory.free']) - Number(r['memory.free']))).toEqual([0, 20480, 20481, 0, 0, 0]);
    const table = (await smi([])).stdout;
    expect(table).toContain(`|    1   N/A  N/A${String(process.pid).padStart(10)}      C   sglang::scheduler_TP0                       20480MiB |\n`);
    expect(
      table
        .split('\n')
        .filter((line) => line.includes('MiB /  24576MiB'))
        .map((line) => line.split('|')[2]),
    ).toEqual(['2', '20482', '20483', '2', '2', '2'].map((mib) => `${mib.padStart(8)}MiB /  24576MiB `));
  });

  it('ignores a dead simulator, a dead rank and an unknown GPU', async () => {
    const dead = await deadPid();
    await register(dead, [{ pid: process.pid, processName: 'sglang::scheduler', gpu: '0', usedMiB: 1000 }]);
    await register(process.pid, [
      { pid: dead, processName: 'sglang::scheduler_TP0', gpu: '0', usedMiB: 1000 },
      { pid: process.pid, processName: 'sglang::scheduler_TP1', gpu: '9', usedMiB: 1000 },
      { pid: process.pid, processName: 'sglang::scheduler_TP2', gpu: '5', usedMiB: 1000 },
    ]);
    expect((await smi(['--query-compute-apps=pid,process_name,gpu_bus_id', '--format=csv,noheader'])).stdout).toBe(`${process.pid}, sglang::scheduler_TP2, ${BUS_IDS[5]}\n`);
    expect((await query(['memory.used'])).rows.map((r) => r['memory.used'])).toEqual(['2', '2', '2', '2', '2', '1002']);
  });

  it('answers --help-query-compute-apps from the 595 capture and refuses an unknown field', async () => {
    const help = (await smi(['--help-query-compute-apps'])).stdout;
    expect(help.startsWith('List of valid properties to query for the switch "--query-compute-apps":\n\nSection about Active Compute Processes properties\n')).toBe(true);
    expect(help).toContain('\n"process_name" or "name"\nProcess Name\n\n"used_gpu_memory" or "used_memory"\n');
    expect(help.endsWith('not NVIDIA driver.\n\n')).toBe(true);
    expect(await smi(['--query-compute-apps=pid,gpu_util', '--format=csv'])).toEqual({ stdout: 'Field "gpu_util" is not a valid field to query.\n\n', code: 2 });
  });
});
