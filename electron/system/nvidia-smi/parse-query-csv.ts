// `nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]` into rows keyed by canonical field name.
// Unknown values ([N/A], bare N/A, [Not Supported], [Unknown Error], […deprecated], empty) become null.

import { canonicalField } from './query-fields.js';

/** A value as text with its unit removed, or null when nvidia-smi reports it as unknown. */
export type QueryValue = string | null;

/** One GPU's line, keyed by canonical field name ("power.draw", "clocks.current.sm"). */
export type QueryRow = Record<string, QueryValue>;

/** A whole query output. `units` holds the header's unit per field ("W" for `power.draw [W]`), null without one. */
export interface QueryCsvTable {
  fields: string[];
  units: (string | null)[];
  rows: QueryRow[];
  /** 1-based line numbers whose column count did not match the fields (a line cut short when the process died). */
  rejectedLines: number[];
}

/**
 * Parses query output. With `fields` (noheader) they name the columns; without, the first line is the header,
 * and `[unit]` suffixes there are stripped from both names and values (`26.20 W` → "26.20").
 */
export function parseQueryCsv(text: string, fields?: readonly string[]): QueryCsvTable {
  const lines = text
    .split(/\r?\n/)
    .map((line, i) => ({ line, number: i + 1 }))
    .filter((l) => l.line.trim() !== '');
  const header = fields ? { fields: fields.map(canonicalField), units: fields.map(() => null) } : readHeader(lines.shift()?.line ?? '');
  const table: QueryCsvTable = { ...header, rows: [], rejectedLines: [] };
  for (const { line, number } of lines) {
    const row = toRow(splitCsvLine(line), table.fields, table.units);
    if (row) table.rows.push(row);
    else table.rejectedLines.push(number);
  }
  return table;
}

/** One noheader line against the fields it was asked for; null when the column count does not match. */
export function parseQueryCsvLine(line: string, fields: readonly string[]): QueryRow | null {
  return toRow(
    splitCsvLine(line),
    fields.map(canonicalField),
    fields.map(() => null),
  );
}

/** True for the tokens nvidia-smi prints instead of a value: any `[…]`, bare `N/A`, or nothing. */
export function isUnknownValue(raw: string): boolean {
  const value = raw.trim();
  return value === '' || value === 'N/A' || (value.startsWith('[') && value.endsWith(']'));
}

function readHeader(line: string): { fields: string[]; units: (string | null)[] } {
  const cells = splitCsvLine(line).map(splitHeaderUnit);
  return { fields: cells.map((c) => canonicalField(c.name)), units: cells.map((c) => c.unit) };
}

/** `power.draw [W]` → name "power.draw", unit "W"; a cell without `[unit]` is all name. */
function splitHeaderUnit(cell: string): { name: string; unit: string | null } {
  const m = /^(.*?)\s*\[([^\]]+)\]$/.exec(cell);
  // Both groups are mandatory in the pattern, so a match has them.
  return m ? { name: m[1]!, unit: m[2]! } : { name: cell, unit: null };
}

function toRow(cells: string[], fields: readonly string[], units: readonly (string | null)[]): QueryRow | null {
  if (cells.length !== fields.length) return null;
  const row: QueryRow = {};
  fields.forEach((field, i) => {
    // cells has one entry per field (checked above); a field without a unit entry has no unit.
    row[field] = cleanValue(cells[i]!, units[i] ?? null);
  });
  return row;
}

function cleanValue(raw: string, unit: string | null): QueryValue {
  if (isUnknownValue(raw)) return null;
  const value = raw.trim();
  if (unit && value.endsWith(` ${unit}`)) return value.slice(0, -unit.length - 1).trimEnd();
  return value;
}

/** Splits on commas outside double quotes; nvidia-smi separates with ", " and quotes nothing, but be lenient. */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell.trim());
  return cells;
}
