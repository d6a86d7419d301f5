import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(DIR, '../..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g;

/** Every non-test source file under electron/system, subfolders (and their testing/ support) included. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [relative(ROOT, path)] : [];
  });
}

/** A relative import as the repo-relative path it lands on (`shared/…`, `electron/…`); a package or node:* as written. */
function target(file: string, spec: string): { path: string; local: boolean } {
  return spec.startsWith('.') ? { path: relative(ROOT, resolve(ROOT, dirname(file), spec)), local: true } : { path: spec, local: false };
}

// The root helper and the engine both load this folder: it never pulls either one in (nor the CLI or the
// Electron main process). It takes node:*, npm packages, shared/ and its own files.
describe('electron/system imports only node:*, packages, shared/ and itself', () => {
  const files = sources(DIR);

  it('covers the subfolders', () => {
    expect(files).toEqual(expect.arrayContaining(['electron/system/systemd/systemctl.ts', 'electron/system/nvidia-smi/run-nvidia-smi.ts', 'electron/system/process-group.ts']));
  });

  it.each(files)('%s', (file) => {
    const targets = [...readFileSync(join(ROOT, file), 'utf8').matchAll(IMPORT)].map((m) => target(file, m[1] ?? m[2]!));
    expect(targets.filter((t) => t.local && !/^(shared|electron\/system)\//.test(t.path)).map((t) => t.path)).toEqual([]);
    expect(targets.filter((t) => !t.local && /^electron(\/|$)/.test(t.path)).map((t) => t.path)).toEqual([]); // the Electron package
  });
});
