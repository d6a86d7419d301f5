import { describe, expect, it } from 'vitest';
import type { GpuMetrics } from '../../../shared/gpu-types.js';
import { isUnknownValue, parseQueryCsv, splitCsvLine, type QueryRow } from './parse-query-csv.js';
import { readNvidiaSmiFixture } from '../../../test/fixtures/read-nvidia-smi-fixture.js';
import { nth } from '../../../test/support/nth.js';
import { readGpuMetrics, toGpuSample } from './to-gpu-sample.js';

// Expected values are copied by hand from the captures (see test/fixtures/nvidia-smi/SOURCES.md).

const NO_METRICS: GpuMetrics = {
  utilGpuPct: null,
  memUsedMiB: null,
  memTotalMiB: null,
  tempC: null,
  powerDrawW: null,
  powerLimitW: null,
  enforcedPowerLimitW: null,
  defaultPowerLimitW: null,
  minPowerLimitW: null,
  maxPowerLimitW: null,
  smClockMHz: null,
  fanPct: null,
  pstate: null,
};

/** The field list from the 440 capture's command line (gpu-utils #83). */
const FIELDS_440 =
  'power.limit,power.min_limit,power.max_limit,memory.total,vbios_version,driver_version,name,gpu_uuid,power.draw,temperature.gpu,temperature.memory,clocks.current.graphics,clocks.sm,clocks.mem,utilization.gpu,utilization.memory,fan.speed,pcie.link.width.current,pstate'.split(
    ',',
  );
const FIELDS_I3PYSTATUS = 'memory.total,memory.free,memory.used,temperature.gpu,fan.speed,utilization.gpu,utilization.memory'.split(',');

interface NoheaderCase {
  file: string;
  fields: string[];
  row: QueryRow;
  metrics: Partial<GpuMetrics>;
}

const NOHEADER_CASES: NoheaderCase[] = [
  {
    file: 'query-csv-noheader-nounits-rtx2080-driver440-powerlimits.txt',
    fields: FIELDS_440,
    row: {
      'power.limit': '200.00',
      'power.min_limit': '105.00',
      'power.max_limit': '292.00',
      'memory.total': '7979',
      vbios_version: '90.04.23.00.5F',
      driver_version: '440.64',
      name: 'GeForce RTX 2080',
      uuid: 'GPU-22b2c6ac-2d49-4863-197c-9c469071178a',
      'power.draw': '176.98',
      'temperature.gpu': '45',
      'temperature.memory': null,
      'clocks.current.graphics': '1965',
      'clocks.current.sm': '1965',
      'clocks.mem': '7199',
      'utilization.gpu': '86',
      'utilization.memory': '55',
      'fan.speed': '100',
      'pcie.link.width.current': '8',
      pstate: 'P2',
    },
    metrics: { powerLimitW: 200, minPowerLimitW: 105, maxPowerLimitW: 292, memTotalMiB: 7979, powerDrawW: 176.98, tempC: 45, smClockMHz: 1965, utilGpuPct: 86, fanPct: 100, pstate: 'P2' },
  },
  {
    file: 'query-csv-noheader-nounits-NA-newer-driver.txt',
    fields: FIELDS_I3PYSTATUS,
    row: { 'memory.total': '2004', 'memory.free': '2004', 'memory.used': '0', 'temperature.gpu': '44', 'fan.speed': null, 'utilization.gpu': '0', 'utilization.memory': '0' },
    metrics: { memTotalMiB: 2004, memUsedMiB: 0, tempC: 44, utilGpuPct: 0 },
  },
  {
    file: 'query-csv-noheader-nounits-NotSupported-older-driver.txt',
    fields: FIELDS_I3PYSTATUS,
    row: { 'memory.total': '2004', 'memory.free': '2004', 'memory.used': '0', 'temperature.gpu': '44', 'fan.speed': null, 'utilization.gpu': '0', 'utilization.memory': '0' },
    metrics: { memTotalMiB: 2004, memUsedMiB: 0, tempC: 44, utilGpuPct: 0 },
  },
  {
    file: 'query-csv-noheader-nounits-fan-NotSupported-16gpu-server.txt',
    fields: ['fan.speed'],
    row: { 'fan.speed': null },
    metrics: {},
  },
];

describe('parseQueryCsv, csv,noheader,nounits with the field list that was asked', () => {
  it.each(NOHEADER_CASES)('$file', ({ file, fields, row, metrics }) => {
    const table = parseQueryCsv(readNvidiaSmiFixture(file), fields);
    expect(table.rejectedLines).toEqual([]);
    expect(table.rows).toEqual([row]);
    expect(readGpuMetrics(nth(table.rows, 0))).toEqual({ ...NO_METRICS, ...metrics });
  });
});

describe('parseQueryCsv, --format=csv with units in header and values (all-field captures)', () => {
  it('RTX 4080 SUPER, driver 595, idle: 202 fields, 81× [N/A] all null, instant power preferred', () => {
    const text = readNvidiaSmiFixture('query-csv-allfields-rtx4080super-driver595-idle.csv');
    const table = parseQueryCsv(text);
    expect(table.fields).toHaveLength(202);
    expect(table.rows).toHaveLength(1);
    const row = nth(table.rows, 0);
    const rawCells = splitCsvLine(nth(text.split('\n'), 1));
    const bracketedNa = table.fields.filter((_, i) => rawCells[i] === '[N/A]');
    expect(bracketedNa).toHaveLength(81);
    expect(bracketedNa.every((field) => row[field] === null)).toBe(true);
    expect(row).toMatchObject({
      timestamp: '2026/06/26 11:59:44.226',
      name: 'NVIDIA GeForce RTX 4080 SUPER',
      index: '0',
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      'pci.bus_id': '00000000:01:00.0',
      'power.draw': '26.20',
      'power.draw.average': '26.20',
      'power.draw.instant': '28.77',
      'power.management': null,
      display_mode: null,
      'clocks.applications.graphics': null, // […deprecated]
      'temperature.memory': null,
      'fabric.state': null, // bare N/A
      'platform.chassis_serial_number': null, // empty
      'clocks_event_reasons_counters.sw_power_cap': '0',
      'clocks.max.memory': '11501',
      'fan.speed': '0',
    });
    expect(table.units[table.fields.indexOf('power.draw')]).toBe('W');
    expect(table.units[table.fields.indexOf('temperature.gpu')]).toBeNull();
    expect(toGpuSample(row, 1000)).toEqual({
      index: 0,
      uuid: 'GPU-00000000-0000-0000-0000-000000000000',
      busId: '00000000:01:00.0',
      name: 'NVIDIA GeForce RTX 4080 SUPER',
      utilGpuPct: 0,
      memUsedMiB: 596,
      memTotalMiB: 16376,
      tempC: 43,
      powerDrawW: 28.77,
      powerLimitW: 320,
      enforcedPowerLimitW: 320,
      defaultPowerLimitW: 320,
      minPowerLimitW: 150,
      maxPowerLimitW: 400,
      smClockMHz: 210,
      fanPct: 0,
      pstate: 'P8',
      atMs: 1000,
    });
  });

  it('RTX 2080 SUPER, driver 610, load: 241 fields, deprecation texts null, power.draw.average [N/A]', () => {
    const table = parseQueryCsv(readNvidiaSmiFixture('query-csv-allfields-rtx2080super-driver610-load.csv'));
    expect(table.fields).toHaveLength(241);
    const row = nth(table.rows, 0);
    expect(Object.values(row).filter((v) => v === null)).toHaveLength(131 + 6 + 12 + 1); // [N/A], deprecated, N/A, empty
    expect(row).toMatchObject({
      kmd_version: '610.57.04',
      'pci.bus_id': '00000000:0C:00.0',
      'power.draw.average': null,
      'power.draw.instant': '98.14',
      'clocks.applications.memory': null,
      'clocks.default_applications.graphics': null,
      'power.management': null,
      'gpu.base.current': null,
      'bbx.time_run': null,
      'encoder.stats.averageLatency': '96754',
      'clocks_event_reasons_counters.sw_power_cap': '15820333506',
      'utilization.encoder': '100',
    });
    expect(readGpuMetrics(row)).toEqual({
      utilGpuPct: 8,
      memUsedMiB: 815,
      memTotalMiB: 8192,
      tempC: 38,
      powerDrawW: 98.14,
      powerLimitW: 250,
      enforcedPowerLimitW: 250,
      defaultPowerLimitW: 250,
      minPowerLimitW: 105,
      maxPowerLimitW: 350,
      smClockMHz: 2070,
      fanPct: 38,
      pstate: 'P2',
    });
  });

  it('Tesla P100, csv,nounits: units in the header only, [N/A] fan, no trailing newline', () => {
    const text = readNvidiaSmiFixture('query-csv-teslap100-netdata.csv');
    expect(text.endsWith('\n')).toBe(false);
    const table = parseQueryCsv(text);
    expect(table.fields).toEqual([
      'name',
      'uuid',
      'fan.speed',
      'pstate',
      'memory.reserved',
      'memory.used',
      'memory.free',
      'utilization.gpu',
      'utilization.memory',
      'temperature.gpu',
      'power.draw',
      'clocks.current.graphics',
      'clocks.current.sm',
      'clocks.current.memory',
      'clocks.current.video',
    ]);
    expect(table.units.slice(0, 5)).toEqual([null, null, '%', null, 'MiB']);
    expect(table.rows[0]).toMatchObject({ name: 'Tesla P100-PCIE-16GB', 'fan.speed': null, 'memory.free': '16280', 'clocks.current.video': '835' });
    expect(readGpuMetrics(nth(table.rows, 0))).toEqual({
      ...NO_METRICS,
      utilGpuPct: 0,
      memUsedMiB: 0,
      tempC: 37,
      powerDrawW: 28.16,
      smClockMHz: 405,
      pstate: 'P0',
    });
    expect(toGpuSample(nth(table.rows, 0), 0)).toBeNull(); // no index asked: nothing to key a sample by
  });
});

describe('unknown values and malformed lines', () => {
  it.each(['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '[Requested functionality has been deprecated]', '', '  '])('%j is unknown', (raw) => {
    expect(isUnknownValue(raw)).toBe(true);
  });

  it.each(['0', 'P8', 'Not Active', 'Disabled'])('%j is a value', (raw) => {
    expect(isUnknownValue(raw)).toBe(false);
  });

  it('rejects a line cut short instead of guessing (the 440 line without its last 3 fields)', () => {
    const line = readNvidiaSmiFixture('query-csv-noheader-nounits-rtx2080-driver440-powerlimits.txt').split(', ').slice(0, -3).join(', ');
    expect(parseQueryCsv(line, FIELDS_440)).toMatchObject({ rows: [], rejectedLines: [1] });
  });

  // No capture quotes a value; nvidia-smi does not, but a comma inside quotes must not split a name.
  it('keeps a quoted cell with a comma together', () => {
    expect(splitCsvLine('0, "GPU, with comma", [N/A]')).toEqual(['0', 'GPU, with comma', '[N/A]']);
  });
});
