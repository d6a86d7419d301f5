import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built renderer (out/renderer, made by `npm run build` before the tests run; this test builds
// nothing): the JS the first screen (Models, the default) needs must stay under FIRST_SCREEN_LIMIT.
// What it needs is read from the build's manifest (electron.vite.config.ts sets build.manifest): the
// entry script with every chunk it imports, and the Models screen's chunk with every chunk it imports
// (`imports` are static imports; `dynamicImports`, the other screens, are not counted).

const RENDERER = fileURLToPath(new URL('../../out/renderer/', import.meta.url));
const MANIFEST = join(RENDERER, '.vite', 'manifest.json');
/** Raw bytes (not gzipped) of the first screen's JS. */
const FIRST_SCREEN_LIMIT = 300_000;
/** Libraries only some screens use, by a string their code always contains. */
const HEAVY = [
  { name: 'xterm', marker: /xterm/i, screens: ['logs'] },
  { name: 'uPlot', marker: /uplot/i, screens: ['gpus', 'throughput'] },
];
const SCREENS = ['models', 'switch', 'logs', 'gpus', 'throughput', 'settings'];

const skipReason = existsSync(join(RENDERER, 'index.html')) ? null : `${RENDERER} is not built (npm test builds it first; run npm run build)`;
if (skipReason) console.warn(`[renderer-bundle] skipped: ${skipReason}`);

interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}
type Manifest = Record<string, ManifestChunk>;

function readManifest(): Manifest {
  if (!existsSync(MANIFEST)) throw new Error(`${MANIFEST} is missing: electron.vite.config.ts's renderer build must set build.manifest (then npm run build)`);
  return JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
}

/** The manifest keys of `roots` and every chunk they import statically, transitively. */
function staticClosure(manifest: Manifest, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    const chunk = manifest[key];
    if (!chunk) throw new Error(`the manifest has no chunk ${key}`);
    seen.add(key);
    for (const next of chunk.imports ?? []) visit(next);
  };
  roots.forEach(visit);
  return seen;
}

const filesOf = (manifest: Manifest, keys: Iterable<string>) => [...new Set([...keys].map((k) => manifest[k]!.file))].filter((f) => f.endsWith('.js'));
const sizeOf = (file: string) => statSync(join(RENDERER, file)).size;
const total = (files: string[]) => files.reduce((sum, f) => sum + sizeOf(f), 0);
const kB = (bytes: number) => `${(bytes / 1000).toFixed(2)} kB`;

/** The Models… screen's chunk: the dynamic entry made from renderer/src/<id>/<id>-screen.tsx. */
function screenKey(manifest: Manifest, id: string): string {
  const key = Object.keys(manifest).find((k) => manifest[k]!.isDynamicEntry && manifest[k]!.src === `src/${id}/${id}-screen.tsx`);
  if (!key) throw new Error(`no lazy chunk for the ${id} screen in the manifest (is it still loaded with import()?)`);
  return key;
}

describe.skipIf(skipReason !== null)('the built renderer', () => {
  it(`loads the first screen (Models) with under ${kB(FIRST_SCREEN_LIMIT)} of JS, and each other screen on demand`, () => {
    const manifest = readManifest();
    const html = readFileSync(join(RENDERER, 'index.html'), 'utf8');
    const entryKey = Object.keys(manifest).find((k) => manifest[k]!.isEntry)!;
    const entry = manifest[entryKey]!;

    // What index.html loads at once is the entry and chunks of its static closure, nothing else.
    const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="\.\/([^"]+)"/g)].map((m) => m[1]!);
    const preloads = [...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual([entry.file]);
    const entryFiles = filesOf(manifest, staticClosure(manifest, [entryKey]));
    for (const file of preloads) expect(entryFiles).toContain(file);

    const models = screenKey(manifest, 'models');
    const firstScreen = filesOf(manifest, staticClosure(manifest, [entryKey, models]));
    const firstScreenBytes = total(firstScreen);

    const lazy = SCREENS.filter((id) => id !== 'models').map((id) => {
      const key = screenKey(manifest, id);
      // What opening this screen fetches beyond what the first screen already has.
      const own = filesOf(manifest, staticClosure(manifest, [key])).filter((f) => !firstScreen.includes(f));
      return { id, chunk: manifest[key]!.file, bytes: sizeOf(manifest[key]!.file), extraBytes: total(own), files: own };
    });
    console.log(
      [
        `[renderer-bundle] entry ${entry.file}: ${kB(sizeOf(entry.file))}`,
        `[renderer-bundle] first screen (Models): ${kB(firstScreenBytes)} in ${firstScreen.length} files: ${firstScreen.map((f) => `${f} ${kB(sizeOf(f))}`).join(', ')}`,
        ...lazy.map((s) => `[renderer-bundle] ${s.id}: chunk ${s.chunk} ${kB(s.bytes)}; opening it fetches ${kB(s.extraBytes)} more`),
      ].join('\n'),
    );

    expect(firstScreenBytes).toBeLessThan(FIRST_SCREEN_LIMIT);
    // Every screen is its own chunk, and the entry only reaches them with import().
    expect(new Set([models, ...lazy.map((s) => s.chunk)]).size).toBe(SCREENS.length);
    for (const id of SCREENS) expect(entry.dynamicImports ?? []).toContain(screenKey(manifest, id));
  });

  it('ships the heavy libraries only with the screens that use them', () => {
    const manifest = readManifest();
    const entryKey = Object.keys(manifest).find((k) => manifest[k]!.isEntry)!;
    const text = (files: string[]) => files.map((f) => readFileSync(join(RENDERER, f), 'utf8')).join('\n');
    const firstScreen = filesOf(manifest, staticClosure(manifest, [entryKey, screenKey(manifest, 'models')]));
    for (const lib of HEAVY) {
      expect(text(firstScreen), `${lib.name} in the first screen's JS`).not.toMatch(lib.marker);
      for (const id of SCREENS) {
        const files = filesOf(manifest, staticClosure(manifest, [screenKey(manifest, id)]));
        // The marker is found where the library is (so its absence elsewhere means something).
        expect(lib.marker.test(text(files)), `${lib.name} in the ${id} screen's chunks`).toBe(lib.screens.includes(id));
      }
    }
  });
});
