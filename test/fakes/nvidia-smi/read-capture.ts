import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * test/fixtures/nvidia-smi of the nearest folder above this module with a package.json: the same from
 * the sources (test/fakes/nvidia-smi/) and from the bundle (out/node/nvidia-smi.js, which the package
 * ships with the captures it reads).
 */
function capturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'test', 'fixtures', 'nvidia-smi');
}

const DIR = capturesDir();

/** A real capture from test/fixtures/nvidia-smi, as text. */
export function readCapture(name: string): string {
  return readFileSync(join(DIR, name), 'utf8');
}
