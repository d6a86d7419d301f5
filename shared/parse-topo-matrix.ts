// `nvidia-smi topo -m`: a header of device labels plus affinity columns, one row per GPU and NIC, then legends.
// Tab-separated with an ANSI-underlined header when printed by nvidia-smi; tabs become spaces when pasted.

import type { TopoConnection, TopoDevice, Topology } from './gpu-types.js';

const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;
const HEADER_SPLIT = /\t| {2,}/;
type TrailingColumn = 'cpuAffinity' | 'numaAffinity' | 'gpuNumaId';
const TRAILING_COLUMNS: Record<string, TrailingColumn> = {
  'CPU Affinity': 'cpuAffinity',
  'NUMA Affinity': 'numaAffinity',
  'GPU NUMA ID': 'gpuNumaId',
};

/** The matrix, the devices with their affinities, and both legends. Unreadable input gives an empty topology. */
export function parseTopoMatrix(text: string): Topology {
  const lines = text.replace(ANSI_ESCAPE, '').split(/\r?\n/);
  const headerAt = lines.findIndex(isHeaderLine);
  const headerLine = lines[headerAt];
  if (headerLine === undefined) return { devices: [], matrix: [], legend: {}, nicLegend: {} };
  const headerCells = splitHeader(headerLine);
  const firstTrailing = headerCells.findIndex((cell) => cell in TRAILING_COLUMNS);
  const labels = firstTrailing < 0 ? headerCells : headerCells.slice(0, firstTrailing);
  const trailing = firstTrailing < 0 ? [] : headerCells.slice(firstTrailing).map((cell) => TRAILING_COLUMNS[cell]);
  const rows = readRows(lines.slice(headerAt + 1));
  const nicLegend = readLegend(lines, /^NIC Legend:/, /^\s*(\S+):\s*(\S+)\s*$/);
  const devices = labels.map((label) => toDevice(label, rows.get(label)?.slice(labels.length) ?? [], trailing, nicLegend));
  const matrix = labels.map((label) => labels.map((_, j) => toConnection(rows.get(label)?.[j])));
  return { devices, matrix, legend: readLegend(lines, /^Legend:/, /^\s*(\S+)\s+=\s+(.+?)\s*$/), nicLegend };
}

/** The bonded link count of an `NV#` cell, 0 for PCIe paths and self. */
export function nvlinkCount(connection: TopoConnection | null): number {
  return connection?.startsWith('NV') ? Number(connection.slice(2)) : 0;
}

function splitHeader(line: string): string[] {
  return line
    .split(HEADER_SPLIT)
    .map((cell) => cell.trim())
    .filter((cell) => cell !== '');
}

function isHeaderLine(line: string): boolean {
  const cells = splitHeader(line);
  return /^GPU\d+$/.test(cells[0] ?? '') && (cells.length === 1 || toConnection(cells[1]) === null);
}

/** Row label → cells after the label (matrix cells, then affinity values), until the blank line before the legend. */
function readRows(lines: string[]): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of lines) {
    const [label = '', ...cells] = line.trim().split(/\s+/);
    if (label === '' || label.endsWith(':')) break;
    rows.set(label, cells);
  }
  return rows;
}

function readLegend(lines: string[], title: RegExp, entry: RegExp): Record<string, string> {
  const legend: Record<string, string> = {};
  const start = lines.findIndex((line) => title.test(line));
  if (start < 0) return legend;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const [, key, value] = entry.exec(line) ?? [];
    if (key !== undefined && value !== undefined) legend[key] = value;
  }
  return legend;
}

/** `columns` holds undefined for a trailing header this parser does not know: its values are skipped. */
function toDevice(label: string, values: string[], columns: (TrailingColumn | undefined)[], nicLegend: Record<string, string>): TopoDevice {
  const numbered = /^(GPU|NIC)(\d+)$/.exec(label);
  const kind = numbered?.[1] === 'GPU' ? 'gpu' : 'nic';
  const device: TopoDevice = { label, kind, index: numbered ? Number(numbered[2]) : null, cpuAffinity: null, numaAffinity: null, gpuNumaId: null };
  if (kind === 'nic') device.deviceName = nicLegend[label] ?? (numbered ? undefined : label);
  columns.forEach((column, i) => {
    const value = values[i];
    if (column === undefined || value === undefined || value === 'N/A') return;
    if (column === 'gpuNumaId') device.gpuNumaId = /^\d+$/.test(value) ? Number(value) : null;
    else device[column] = value;
  });
  return device;
}

function toConnection(cell: string | undefined): TopoConnection | null {
  const value = cell?.trim();
  if (value === undefined) return null;
  if (/^NV\d+$/.test(value)) return value as TopoConnection;
  if (value === 'SOC') return 'SYS'; // the pre-NODE name for crossing CPU sockets
  return ['X', 'PIX', 'PXB', 'PHB', 'NODE', 'SYS'].includes(value) ? (value as TopoConnection) : null;
}
