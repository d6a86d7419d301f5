// `--query-gpu=<fields> --format=csv[,noheader][,nounits]`: one line per GPU, canonical names in the header.

import { fieldCatalog } from './field-catalog.js';

/** The `--format` flags the fake honours. */
export interface CsvFormat {
  header: boolean;
  units: boolean;
}

/** Fields forced to `[N/A]`, each from a 1-based tick on (`FAKE_NVIDIA_SMI_NA=power.draw,fan.speed@3`). */
export type UnknownFields = { field: string; fromTick: number }[];

/** Reads `--format=csv,noheader,nounits`; null for anything but csv. */
export function parseFormat(value: string): CsvFormat | null {
  const parts = value.split(',').map((p) => p.trim());
  if (parts[0] !== 'csv' || parts.slice(1).some((p) => p !== 'noheader' && p !== 'nounits')) return null;
  return { header: !parts.includes('noheader'), units: !parts.includes('nounits') };
}

/** Canonical names for the requested spellings, or the first one nvidia-smi would refuse. */
export function resolveFields(requested: string[]): { fields: string[] } | { invalid: string } {
  const { canonical } = fieldCatalog();
  const fields: string[] = [];
  for (const name of requested) {
    const field = canonical.get(name.trim());
    if (!field) return { invalid: name.trim() };
    fields.push(field);
  }
  return { fields };
}

/** The refusal for an unknown field, as nvidia-smi words it. */
export function invalidFieldMessage(field: string): string {
  return `Field "${field}" is not a valid field to query.\n\n`;
}

/** `FAKE_NVIDIA_SMI_NA` into its fields. */
export function parseUnknownFields(value: string | undefined): UnknownFields {
  if (!value) return [];
  return value
    .split(',')
    .filter(Boolean)
    .map((entry) => {
      const [field = '', tick] = entry.split('@');
      return { field: fieldCatalog().canonical.get(field.trim()) ?? field.trim(), fromTick: tick ? Number(tick) : 1 };
    });
}

/** The header line. */
export function headerLine(fields: string[]): string {
  const { units } = fieldCatalog();
  return `${fields.map((f) => (units.has(f) ? `${f} [${units.get(f)}]` : f)).join(', ')}\n`;
}

/** One line per GPU for one tick. */
export function valueLines(gpus: Map<string, string>[], fields: string[], format: CsvFormat, unknown: UnknownFields, tick: number): string {
  const { units } = fieldCatalog();
  const lines = gpus.map((values) =>
    fields
      .map((field) => {
        if (unknown.some((u) => u.field === field && tick >= u.fromTick)) return '[N/A]';
        const value = values.get(field) ?? '[N/A]';
        const unit = units.get(field);
        return !format.units && unit && value.endsWith(` ${unit}`) ? value.slice(0, -unit.length - 1) : value;
      })
      .join(', '),
  );
  return lines.map((l) => `${l}\n`).join('');
}
