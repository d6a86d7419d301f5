import type { NvlinkSet, NvlinkStatus, TopoConnection, Topology } from '../../../shared/gpu-types.js';

/** How a topology cell is drawn: NVLink stands out, PCIe paths shade from near to far. */
export type TopoCellKind = 'self' | 'nvlink' | 'pcie-switch' | 'pcie-host' | 'cross-socket' | 'unknown';

export interface TopoCell {
  text: string;
  kind: TopoCellKind;
  /** Bonded NVLinks between the two devices (0 unless kind is nvlink). */
  nvlinks: number;
  /** "GPU1 ↔ GPU2: NV4 — Connection traversing a bonded set of 4 NVLinks". */
  title: string;
}

export interface TopoRow {
  label: string;
  cells: TopoCell[];
  cpuAffinity: string | null;
  numaAffinity: string | null;
}

export interface TopologyGrid {
  columns: string[];
  rows: TopoRow[];
  /** GPU index pairs joined by NVLink, each once, ascending. */
  nvlinkPairs: [number, number][];
  /** The symbols that occur in the grid, with nvidia-smi's description, in legend order. */
  legend: { symbol: string; kind: TopoCellKind; description: string }[];
}

const KIND: Record<string, TopoCellKind> = { X: 'self', PIX: 'pcie-switch', PXB: 'pcie-switch', PHB: 'pcie-host', NODE: 'pcie-host', SYS: 'cross-socket' };
const LEGEND_ORDER = ['X', 'NV#', 'PIX', 'PXB', 'PHB', 'NODE', 'SYS'];

/** The `topo -m` matrix as a grid to draw; NICs only when asked (a server can list ten of them). */
export function buildTopologyGrid(topology: Topology, options: { includeNics?: boolean } = {}): TopologyGrid {
  const keep = topology.devices.map((d, i) => ({ d, i })).filter(({ d }) => options.includeNics || d.kind === 'gpu');
  const seen = new Set<string>();
  const nvlinkPairs: [number, number][] = [];
  const rows = keep.map(({ d: row, i }) => ({
    label: row.label,
    cpuAffinity: row.cpuAffinity,
    numaAffinity: row.numaAffinity,
    cells: keep.map(({ d: column, i: j }) => {
      const cell = describeCell(topology.matrix[i]?.[j] ?? null, `${row.label} ↔ ${column.label}`, topology.legend);
      seen.add(cell.kind === 'nvlink' ? 'NV#' : cell.text);
      if (cell.kind === 'nvlink' && row.kind === 'gpu' && column.kind === 'gpu' && row.index !== null && column.index !== null && row.index < column.index) {
        nvlinkPairs.push([row.index, column.index]);
      }
      return cell;
    }),
  }));
  const legend = LEGEND_ORDER.filter((symbol) => seen.has(symbol)).map((symbol) => ({
    symbol,
    kind: symbol === 'NV#' ? ('nvlink' as const) : (KIND[symbol] ?? 'unknown'),
    description: topology.legend[symbol] ?? '',
  }));
  return { columns: keep.map(({ d }) => d.label), rows, nvlinkPairs, legend };
}

function describeCell(connection: TopoConnection | null, between: string, legend: Record<string, string>): TopoCell {
  if (connection === null) return { text: '?', kind: 'unknown', nvlinks: 0, title: `${between}: unreadable` };
  const nv = /^NV(\d+)$/.exec(connection);
  if (nv) {
    const count = Number(nv[1]);
    return { text: connection, kind: 'nvlink', nvlinks: count, title: `${between}: ${count} bonded NVLink${count === 1 ? '' : 's'}` };
  }
  const description = legend[connection];
  return { text: connection, kind: KIND[connection] ?? 'unknown', nvlinks: 0, title: description ? `${between}: ${description}` : `${between}: ${connection}` };
}

/** A GPU's `nvlink --status` block, by UUID (indexes can differ between calls), else by index. */
export function nvlinkOf(nvlink: readonly NvlinkStatus[] | null, gpu: { uuid: string; index: number }): NvlinkStatus | null {
  if (!nvlink) return null;
  return nvlink.find((n) => n.uuid === gpu.uuid) ?? nvlink.find((n) => n.index === gpu.index) ?? null;
}

/** "GPU 1 ↔ GPU 2" for a set of NVLink-connected GPUs. */
export function describeNvlinkSet(set: NvlinkSet): string {
  return set.map((i) => `GPU ${i}`).join(' ↔ ');
}
