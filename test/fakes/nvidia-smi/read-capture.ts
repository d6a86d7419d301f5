import { readFileSync } from 'node:fs';

const DIR = new URL('../../fixtures/nvidia-smi/', import.meta.url);

/** A real capture from test/fixtures/nvidia-smi, as text. */
export function readCapture(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}
