#!/usr/bin/env node
// Builds what runs under plain Node (or the app's Electron as Node) into out/node/: the CLI, the
// root helper, and the SGLang simulator and fake nvidia-smi that `switchboard demo` runs. One
// self-running ESM bundle per program (its entry module's `main(argv)` is called at the end); npm
// packages stay imports, resolved from node_modules at run time. Not minified: the helper runs as
// root and must stay auditable as a plain file. Sourcemaps hold positions, not the TypeScript
// (`node --enable-source-maps out/node/switchboard.js` maps stack traces to electron/…/*.ts).
// electron-vite owns out/main, out/preload and out/renderer; this script touches only out/node.
// Usage: node scripts/build-node.mjs [--quiet]   (npm run build:node; npm run build does both)
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = join(ROOT, 'out', 'node');

/** `calls`: how the entry's `main(argv)` ends the process (an exit code, or nothing: the simulator exits by itself). */
const ENTRIES = [
  { out: 'switchboard', module: 'electron/cli/main.ts', calls: 'exit-code', node: '-S node --max-semi-space-size=4' },
  { out: 'switchboard-helper', module: 'electron/helper/main.ts', calls: 'exit-code', node: 'node' },
  { out: 'sglang-sim', module: 'test/fakes/sglang-sim/main.ts', calls: 'await', node: 'node' },
  { out: 'nvidia-smi', module: 'test/fakes/nvidia-smi/main.ts', calls: 'exit-code', node: 'node' },
];

const NAMESPACE = 'switchboard-entry';

/** The virtual entry module of one program: imports its `main` and runs it with the process's arguments. */
function entrySource(entry) {
  const call = 'main(process.argv.slice(2))';
  return [`import { main } from ${JSON.stringify(`./${entry.module}`)};`, entry.calls === 'exit-code' ? `process.exitCode = await ${call};` : `await ${call};`, ''].join('\n');
}

const entryPlugin = {
  name: 'switchboard-entries',
  setup(build) {
    build.onResolve({ filter: /^switchboard-entry:/ }, (args) => ({ path: args.path.slice(NAMESPACE.length + 1), namespace: NAMESPACE }));
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
      const entry = ENTRIES.find((e) => e.out === args.path);
      return { contents: entrySource(entry), loader: 'js', resolveDir: ROOT };
    });
  },
};

/**
 * Builds out/node/*.js (+ .js.map). Files whose content did not change are left alone, the others are
 * replaced atomically (temp file + rename), so a program already running from out/node (another
 * test run, a demo) never reads a half-written bundle. Returns the written files with their sizes.
 */
export async function buildNode({ quiet = false } = {}) {
  const started = performance.now();
  // One esbuild call per program: each has its own shebang (the CLI's carries the young-generation cap).
  const results = await Promise.all(
    ENTRIES.map((entry) =>
      esbuild.build({
        absWorkingDir: ROOT,
        entryPoints: [{ in: `${NAMESPACE}:${entry.out}`, out: entry.out }],
        outdir: OUT_DIR,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        sourcemap: 'linked',
        sourcesContent: false,
        keepNames: true,
        banner: { js: `#!/usr/bin/env ${entry.node}` },
        logLevel: 'silent',
        write: false,
        plugins: [entryPlugin],
      }),
    ),
  );
  await mkdir(OUT_DIR, { recursive: true });
  const files = [...results.flatMap((r) => r.outputFiles), await catalogSchemaFile()];
  const written = [];
  for (const file of files) {
    const name = relative(OUT_DIR, file.path);
    const mode = name.endsWith('.js') ? 0o755 : 0o644;
    const current = await readFile(file.path).catch(() => null);
    if (current === null || !current.equals(file.contents)) {
      const temp = `${file.path}.${process.pid}.tmp`;
      await writeFile(temp, file.contents, { mode });
      await chmod(temp, mode); // writeFile's mode is filtered by the umask
      await rename(temp, file.path);
    } else {
      await chmod(file.path, mode);
    }
    written.push({ name, bytes: file.contents.length });
  }
  // Leftovers of entries that no longer exist (never another process's temp file in flight).
  for (const name of await readdir(OUT_DIR)) {
    if (!written.some((w) => w.name === name) && !name.includes('.tmp')) await rm(join(OUT_DIR, name), { force: true });
  }
  if (!quiet) {
    const sizes = written.filter((w) => w.name.endsWith('.js')).map((w) => `${w.name} ${(w.bytes / 1024).toFixed(0)} KiB`);
    console.log(`out/node: ${sizes.join(', ')} (${Math.round(performance.now() - started)} ms)`);
  }
  return written;
}

/**
 * out/node/switchboard.schema.json: the catalog's JSON Schema, generated from the zod schema at build
 * time (electron/engine/catalog/catalog-json-schema.ts, bundled and run once here).
 */
async function catalogSchemaFile() {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    stdin: { contents: "export { catalogJsonSchema, CATALOG_SCHEMA_FILE } from './electron/engine/catalog/catalog-json-schema.ts';", resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    write: false,
  });
  // In out/node so its `zod` import resolves from the checkout's node_modules; removed at once.
  const generator = join(OUT_DIR, `catalog-schema.${process.pid}.tmp.mjs`);
  await writeFile(generator, result.outputFiles[0].contents);
  try {
    const { catalogJsonSchema, CATALOG_SCHEMA_FILE } = await import(pathToFileURL(generator).href);
    return { path: join(OUT_DIR, CATALOG_SCHEMA_FILE), contents: Buffer.from(`${JSON.stringify(catalogJsonSchema(), null, 2)}\n`) };
  } finally {
    await rm(generator, { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await buildNode({ quiet: process.argv.includes('--quiet') });
  } catch (err) {
    // esbuild's own message lists each error with its file and line.
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
