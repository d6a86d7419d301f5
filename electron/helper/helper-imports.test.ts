import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g;

/** Every module the daemon loads, following relative imports from its entry (type-only imports included). */
function importClosure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = match[1] ?? match[2]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else packages.add(spec);
    }
  };
  visit(resolve(ROOT, entry));
  return { files: [...files].map((f) => relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

describe('the helper daemon stays small enough to audit', () => {
  const { files, packages } = importClosure('electron/helper/main.ts');

  it('loads only shared/, its own folder, electron/system/, the direct systemd unit control, the pure GPU-set rules and nvidia-smi parsers', () => {
    const allowed =
      /^(shared\/[\w-]+\.ts|electron\/helper\/[\w-]+\.ts|electron\/system\/[\w-]+\.ts|electron\/engine\/backends\/systemd\/(unit-control|direct-unit-control|systemctl|slot-instance-unit)\.ts|electron\/engine\/switcher\/gpu-sets\.ts|electron\/engine\/gpu\/(parse-query-csv|query-fields|parse-power-limit-output)\.ts)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['electron/helper/helper-server.ts', 'shared/helper-protocol.ts', 'electron/engine/backends/systemd/direct-unit-control.ts']));
    expect(files).not.toContain('electron/helper/helper-client.ts');
    expect(files).toContain('electron/helper/nvidia-power-limits.ts');
    expect(files).toContain('electron/system/rotating-json-lines.ts');
  });

  it('uses only node:*, zod, yaml and koffi (SO_PEERCRED) from outside', () => {
    expect(packages.filter((p) => !p.startsWith('node:') && !['zod', 'yaml', 'koffi'].includes(p))).toEqual([]);
  });
});
