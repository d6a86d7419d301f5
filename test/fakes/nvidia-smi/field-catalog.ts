// The fields the fake accepts and their units, both read from real driver-595 captures.

import { readCapture } from './read-capture.js';

/** Every `--query-gpu` field: spellings (with aliases) → canonical name, and the unit each header prints. */
export interface FieldCatalog {
  /** Canonical names in help order. */
  fields: string[];
  canonical: Map<string, string>;
  /** "power.draw" → "W" as in `power.draw [W]`; fields without a unit are absent. */
  units: Map<string, string>;
}

export const HELP_CAPTURE = 'help-query-gpu-driver595.txt';
/** The all-fields `--format=csv` capture whose header gives the units. */
export const ALL_FIELDS_CAPTURE = 'query-csv-allfields-rtx4080super-driver595-idle.csv';

const FIELD_LINE = /^"[^"]+"(?: or "[^"]+")*\s*$/;

let cached: FieldCatalog | undefined;

/** Loads (once) the field list from the 595 help capture and the units from the 595 all-fields header. */
export function fieldCatalog(): FieldCatalog {
  if (cached) return cached;
  const catalog: FieldCatalog = { fields: [], canonical: new Map(), units: new Map() };
  for (const line of readCapture(HELP_CAPTURE).split('\n')) {
    if (!FIELD_LINE.test(line)) continue;
    const spellings = [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '');
    const [first] = spellings;
    if (first === undefined) continue;
    catalog.fields.push(first);
    for (const name of spellings) catalog.canonical.set(name, first);
  }
  const [header = ''] = readCapture(ALL_FIELDS_CAPTURE).split('\n');
  for (const cell of header.split(', ')) {
    const [, name, unit] = /^(.*?) \[(.+)\]$/.exec(cell) ?? [];
    if (name !== undefined && unit !== undefined) catalog.units.set(name, unit);
  }
  cached = catalog;
  return catalog;
}

/** The all-fields capture as canonical field → value, units kept as printed (`26.20 W`). */
export function readAllFieldsCapture(name: string): Map<string, string> {
  const [header = '', values = ''] = readCapture(name).split('\n');
  const cells = values.split(', ');
  return new Map(header.split(', ').map((cell, i) => [cell.replace(/ \[[^\]]+\]$/, ''), cells[i] ?? '']));
}
