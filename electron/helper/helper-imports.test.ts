import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g;

/** The repo-relative .ts files a file imports (relative imports, type-only and dynamic ones included), and its packages. */
function importsOf(file: string): { files: string[]; packages: string[] } {
  const files: string[] = [];
  const packages: string[] = [];
  for (const match of readFileSync(resolve(ROOT, file), 'utf8').matchAll(IMPORT)) {
    const spec = match[1] ?? match[2]!;
    if (spec.startsWith('.')) files.push(relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts'));
    else packages.push(spec);
  }
  return { files, packages };
}

/** Every module an entry loads, following relative imports (type-only imports included). */
function importClosure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const found = importsOf(file);
    found.packages.forEach((p) => packages.add(p));
    found.files.forEach(visit);
  };
  visit(entry);
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/** Every .ts file under a folder (tests included unless `withTests` is false), repo-relative. */
function filesUnder(dir: string, withTests = true): string[] {
  return readdirSync(resolve(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && (withTests || !/\.test\.tsx?$/.test(e.name)))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

/** shared/, electron/system/ (any depth) and the helper's own folder: all the helper may load. */
const HELPER_MAY_LOAD = /^(shared\/[\w-]+\.ts|electron\/helper\/[\w-]+\.ts|electron\/system\/([\w-]+\/)*[\w-]+\.ts)$/;

describe('the helper daemon stays small enough to audit', () => {
  const { files, packages } = importClosure('electron/helper/main.ts');

  it('loads only shared/, its own folder and electron/system/', () => {
    expect(files.filter((f) => !HELPER_MAY_LOAD.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['electron/helper/helper-server.ts', 'shared/helper-protocol.ts', 'electron/system/systemd/direct-unit-control.ts']));
    expect(files).not.toContain('electron/helper/helper-client.ts');
    expect(files).toContain('electron/system/nvidia-smi/nvidia-power-limits.ts');
    expect(files).toContain('electron/system/rotating-json-lines.ts');
  });

  it('uses only node:*, zod, yaml and koffi (SO_PEERCRED) from outside', () => {
    expect(packages.filter((p) => !p.startsWith('node:') && !['zod', 'yaml', 'koffi'].includes(p))).toEqual([]);
  });

  it.each(filesUnder('electron/helper'))('%s imports only shared/, electron/system/ and the helper’s own files', (file) => {
    // Tests may take test support (test/…) too; nothing in electron/helper imports the engine, the CLI or main.
    const mayLoad = (f: string) => HELPER_MAY_LOAD.test(f) || (/\.test\.ts$/.test(file) && f.startsWith('test/'));
    expect(importsOf(file).files.filter((f) => !mayLoad(f))).toEqual([]);
  });
});

describe("the engine reaches the helper only through the helper's client", () => {
  it('imports nothing from electron/helper but helper-client.ts', () => {
    const intoHelper = filesUnder('electron/engine').flatMap((file) =>
      importsOf(file)
        .files.filter((f) => f.startsWith('electron/helper/') && f !== 'electron/helper/helper-client.ts')
        .map((f) => `${file} → ${f}`),
    );
    expect(intoHelper).toEqual([]);
  });

  it('the client loads only shared/ and electron/system/ besides itself (never the daemon, never the engine)', () => {
    const { files } = importClosure('electron/helper/helper-client.ts');
    expect(files.filter((f) => f !== 'electron/helper/helper-client.ts' && !/^(shared|electron\/system)\//.test(f))).toEqual([]);
  });
});
