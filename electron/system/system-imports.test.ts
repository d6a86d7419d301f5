import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = dirname(fileURLToPath(import.meta.url));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g;

// The root helper and the engine both load this folder: it must not pull either one (or a package) in.
describe('electron/system imports only node:* and itself', () => {
  const sources = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

  it.each(sources)('%s', (file) => {
    const specs = [...readFileSync(join(DIR, file), 'utf8').matchAll(IMPORT)].map((m) => m[1] ?? m[2]!);
    expect(specs.filter((s) => !s.startsWith('node:') && !/^\.\/[\w-]+\.js$/.test(s))).toEqual([]);
  });
});
