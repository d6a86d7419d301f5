// ESLint flat config: the recommended rules of ESLint and typescript-eslint (not the type-checked
// presets: they build a TypeScript program per lint run, too slow on the two-core CI machine) plus the
// import boundaries between the app's layers. `npm test` runs `npm run lint`, so a broken boundary fails
// the build; test/lint/layer-rules.test.ts proves each boundary rule fires.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------------------
// Layer boundaries.
//
// Each rule matches the import specifier as written (relative paths are not resolved), so the
// patterns are anchored on the `../` steps that leave a folder: `^(\.\./)+engine/` in electron/helper
// is electron/engine seen from any depth below electron/helper (no layer has a subfolder named after
// another layer). Static imports and re-exports are checked by no-restricted-imports; `await import()`
// by no-restricted-syntax on ImportExpression, from the same table.
// ---------------------------------------------------------------------------------------------------

/** Every Node builtin: `node:*` and the bare names (`fs`, `fs/promises`, `path`, ...). */
const NODE_BUILTIN = `^(node:.*|(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})(\\/.*)?)$`;
/** Packages that only run in Node (native addons, Node sockets and HTTP). */
const NODE_ONLY_PACKAGE = '^(ws|undici|koffi|node-pty|systeminformation)(\\/.*)?$';
/** Packages that only make sense in the browser UI. */
const DOM_ONLY_PACKAGE = '^(react|react-dom|zustand|uplot|@xterm\\/.*)(\\/.*)?$';
/** The electron package (and its subpaths such as `electron/main`); not `electron-vite`, not `./electron/...`. */
const ELECTRON_PACKAGE = '^electron(\\/.*)?$';
/**
 * A relative import that climbs (`../`, any number of times, optionally back down through electron/)
 * into the folder `name`, or into a module of it other than `except` (a file name) when given.
 */
const upTo = (name, except) => `^(\\.\\.\\/)+(electron\\/)?${name}${except ? `(\\/(?!${except.replace(/[.]/g, '\\.')}$)|$)` : '(\\/|$)'}`;

/** The one rule every file outside main and preload gets. */
const electronBan = (layer) => ({
  regex: ELECTRON_PACKAGE,
  message: `Layer rule (${layer}): only electron/main and electron/preload import 'electron'; the engine, helper, CLI, shared code and the UI run without Electron.`,
});

/**
 * The layers and what each may not import. A layer's entry is complete: a file gets exactly one
 * layer's list (flat config replaces, not merges, the options of a rule set twice), so the catch-all
 * is listed first and the layers after it.
 */
const LAYERS = [
  {
    layer: 'shared',
    files: ['shared/**'],
    why: 'shared/ is the engine↔UI contract and runs in Node and in the browser',
    banned: [
      { regex: NODE_BUILTIN, what: 'a Node builtin' },
      { regex: NODE_ONLY_PACKAGE, what: 'a Node-only package' },
      { regex: DOM_ONLY_PACKAGE, what: 'a browser-only package' },
      { regex: upTo('electron'), what: 'electron/ (engine, helper, main, ...)' },
      { regex: upTo('renderer'), what: 'the renderer' },
    ],
    electron: false,
  },
  {
    layer: 'renderer',
    files: ['renderer/**'],
    why: 'the renderer is a sandboxed web page (also served to browsers); it reaches the engine only through shared/ and a transport',
    banned: [
      { regex: upTo('electron'), what: 'electron/ (engine, helper, main, preload, ...)' },
      { regex: NODE_BUILTIN, what: 'a Node builtin' },
      { regex: NODE_ONLY_PACKAGE, what: 'a Node-only package' },
    ],
    electron: false,
  },
  {
    layer: 'helper',
    files: ['electron/helper/**'],
    why: 'the root helper daemon stays small enough to audit: shared/, electron/system and its own folder',
    banned: [
      { regex: upTo('engine'), what: 'the engine' },
      { regex: upTo('cli'), what: 'the CLI' },
      { regex: upTo('main'), what: 'the Electron main process' },
      { regex: upTo('preload'), what: 'the preload' },
      { regex: upTo('renderer'), what: 'the renderer' },
      { regex: DOM_ONLY_PACKAGE, what: 'a browser-only package' },
    ],
    electron: false,
  },
  {
    layer: 'system',
    files: ['electron/system/**'],
    why: 'electron/system is the bottom layer (Node builtins only) that the engine and the root helper both load',
    banned: [
      { regex: upTo('engine'), what: 'the engine' },
      { regex: upTo('helper'), what: 'the helper' },
      { regex: upTo('cli'), what: 'the CLI' },
      { regex: upTo('main'), what: 'the Electron main process' },
      { regex: upTo('preload'), what: 'the preload' },
      { regex: upTo('renderer'), what: 'the renderer' },
      { regex: DOM_ONLY_PACKAGE, what: 'a browser-only package' },
    ],
    electron: false,
  },
  {
    layer: 'engine',
    files: ['electron/engine/**'],
    why: 'the engine runs headless under the CLI and inside Electron main alike',
    banned: [
      { regex: upTo('helper', 'helper-client.js'), what: "the helper's modules other than helper-client.js (its client of the root helper; the daemon's code runs only as root)" },
      { regex: upTo('cli'), what: 'the CLI' },
      { regex: upTo('main'), what: 'the Electron main process' },
      { regex: upTo('preload'), what: 'the preload' },
      { regex: upTo('renderer'), what: 'the renderer' },
      { regex: DOM_ONLY_PACKAGE, what: 'a browser-only package' },
    ],
    electron: false,
  },
  {
    // Main hosts and supervises the engine, so it imports electron/engine, shared/ and electron/system.
    // From the preload it takes only types: the IPC messages both ends of the channel speak (the
    // preload's code is bundled into the sandboxed page's context, never into main). It never imports
    // the CLI (another entry point: a helper both need belongs in shared/ or the engine), the helper
    // daemon (the engine's helper-client talks to it over its socket) or the renderer (a page main
    // loads, not a module).
    layer: 'main',
    files: ['electron/main/**'],
    why: 'the Electron main process hosts the engine and the window',
    banned: [
      { regex: upTo('cli'), what: 'the CLI' },
      { regex: upTo('helper'), what: 'the helper' },
      { regex: upTo('renderer'), what: 'the renderer' },
      { regex: upTo('preload'), what: "the preload's code (types only: `import type`)", allowTypeImports: true },
      { regex: DOM_ONLY_PACKAGE, what: 'a browser-only package' },
    ],
    electron: true,
  },
  {
    // The preload runs in the sandboxed renderer process (sandbox: true): Electron gives it only
    // `electron` (contextBridge, ipcRenderer) and a few polyfilled builtins, and everything else it
    // imports is bundled into the page's context. It takes the contract from shared/ and nothing else.
    layer: 'preload',
    files: ['electron/preload/**'],
    why: 'the preload runs in the sandboxed page process',
    banned: [
      { regex: upTo('engine'), what: 'the engine' },
      { regex: upTo('helper'), what: 'the helper' },
      { regex: upTo('cli'), what: 'the CLI' },
      { regex: upTo('main'), what: 'the Electron main process' },
      { regex: upTo('system'), what: 'electron/system' },
      { regex: upTo('renderer'), what: 'the renderer' },
      { regex: NODE_BUILTIN, what: 'a Node builtin (a sandboxed preload has no Node)' },
      { regex: NODE_ONLY_PACKAGE, what: 'a Node-only package' },
    ],
    electron: true,
  },
  {
    // The CLI is the headless entry point: it runs the engine (`serve`, `demo`), talks to a running one
    // over HTTP (admin token, config paths from the engine's catalog code) and starts the root helper
    // (`switchboard helper` loads electron/helper/main.js, the daemon's entry, and no other helper
    // module). It never imports the Electron main process, the preload or the renderer.
    layer: 'cli',
    files: ['electron/cli/**'],
    why: 'the CLI is the headless entry point',
    banned: [
      { regex: upTo('helper', 'main.js'), what: 'the helper beyond its entry main.js (the `helper` subcommand)' },
      { regex: upTo('main'), what: 'the Electron main process' },
      { regex: upTo('preload'), what: 'the preload' },
      { regex: upTo('renderer'), what: 'the renderer' },
      { regex: DOM_ONLY_PACKAGE, what: 'a browser-only package' },
    ],
    electron: false,
  },
];

/** Config objects giving `files` the import bans in `banned` (+ the electron ban unless allowed). */
function boundaryConfig({ layer, files, why, banned, electron }) {
  const entries = banned.map(({ regex, what, allowTypeImports }) => ({
    regex,
    message: `Layer rule (${layer}): ${why}, so it does not import ${what}.`,
    ...(allowTypeImports ? { allowTypeImports } : {}),
  }));
  if (!electron) entries.push(electronBan(layer));
  return {
    name: `switchboard/layer-${layer}`,
    files,
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: entries }],
      // `await import('...')` with a literal specifier: the same bans (esquery regexes cannot hold `/`).
      'no-restricted-syntax': [
        'error',
        ...entries.map(({ regex, message }) => ({
          selector: `ImportExpression > Literal.source[value=/${regex.replace(/\\\//g, '\\x2F')}/]`,
          message,
        })),
      ],
    },
  };
}

export default defineConfig(
  globalIgnores(['out/', 'dist/', 'coverage/', 'test-results/', '.vite/', '.scratch/', '**/node_modules/'], 'switchboard/ignores'),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: 'switchboard/languages',
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // The parsers of terminal output (sglang logs, nvidia-smi, journal lines) strip ANSI escapes
      // (\x1b[...m, OSC ... \x07) and the validators of unit files and catalog values reject control
      // characters: a control character in a regex is what they are about.
      'no-control-regex': 'off',
      // A composition root declares `let engine` first and assigns it once its parts exist; closures
      // the parts get read it later (`engine?.x()`). `const` there would be a TDZ error, not a fix.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Unused bindings are errors, but `_`-prefixed ones are deliberate (a handler's unused argument,
      // an omitted destructured field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Test code: `any` is how a test holds a parsed JSON body or a deliberately malformed value and
    // pokes at its fields (expect() is what checks it), and an expected-output regex copies a tool's
    // column layout (nvidia-smi's table, uvicorn's access log) with its spaces as printed.
    name: 'switchboard/tests',
    files: ['**/*.test.{ts,tsx}', '**/testing/**', 'test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      'no-regex-spaces': 'off',
    },
  },
  {
    // shared/ also may not lean on a global that exists in only one of its two homes. It does use
    // setTimeout, URL, TextEncoder (in both), and the WebSocket transport reads `globalThis.WebSocket`
    // as a default only: Node callers inject the `ws` class, and without either it throws a clear error
    // (a member of globalThis, not a bare global, so this rule lets it be; that is the legitimate use).
    // Its tests run under Node only and may use Node's globals.
    name: 'switchboard/layer-shared-globals',
    files: ['shared/**'],
    ignores: ['shared/**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'location', 'HTMLElement'].map((name) => ({
          name,
          message: `Layer rule (shared): shared/ also runs in Node, so it does not use the browser's ${name}; take what it needs as a parameter.`,
        })),
        ...['process', 'Buffer', '__dirname', '__filename', 'require', 'module', 'global', 'setImmediate', 'clearImmediate'].map((name) => ({
          name,
          message: `Layer rule (shared): shared/ also runs in the browser, so it does not use Node's ${name}; take what it needs as a parameter.`,
        })),
      ],
    },
  },
  {
    name: 'switchboard/renderer-globals',
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // Everything outside the named layers (test/, bench/, bin/, configs): only the electron ban.
  boundaryConfig({ layer: 'other', files: ['**/*.{ts,tsx,js,mjs,cjs}'], why: '', banned: [], electron: false }),
  ...LAYERS.map(boundaryConfig),
);
