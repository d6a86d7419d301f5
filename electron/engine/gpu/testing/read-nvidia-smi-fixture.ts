import { readdirSync, readFileSync } from 'node:fs';

const DIR = new URL('../../../../test/fixtures/nvidia-smi/', import.meta.url);

/** A capture from test/fixtures/nvidia-smi (a copy of ../shared/fixtures/nvidia-smi; `extra/…` for our additions). */
export function readNvidiaSmiFixture(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}

/** Every capture file name (SOURCES.md excluded), `extra/` ones prefixed. */
export function listNvidiaSmiFixtures(): string[] {
  const top = readdirSync(DIR, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  const extra = readdirSync(new URL('extra/', DIR)).map((name) => `extra/${name}`);
  return [...top, ...extra].filter((name) => !name.endsWith('SOURCES.md')).sort();
}
