import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The layer boundaries of eslint.config.js, case by case: each banned import is reported as an error
// naming its layer rule, and the import the layer is allowed passes. Paths need not exist: the rules
// look at the file's folder and the import specifier as written.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Case {
  /** Where the code would live. */
  file: string;
  code: string;
  /** The layer named in the message, or null when the import is allowed. */
  fails: string | null;
}

const CASES: Case[] = [
  // (a) only electron/main and electron/preload import 'electron'
  { file: 'electron/engine/engine-thing.ts', code: "import { app } from 'electron';", fails: 'engine' },
  { file: 'electron/helper/x.ts', code: "import { app } from 'electron';", fails: 'helper' },
  { file: 'electron/cli/x.ts', code: "import { app } from 'electron/main';", fails: 'cli' },
  { file: 'shared/x.ts', code: "import { ipcRenderer } from 'electron';", fails: 'shared' },
  { file: 'renderer/src/x.tsx', code: "import { ipcRenderer } from 'electron';", fails: 'renderer' },
  { file: 'test/integration/x.test.ts', code: "import { app } from 'electron';", fails: 'other' },
  { file: 'electron/main/x.ts', code: "import { app, BrowserWindow } from 'electron';", fails: null },
  { file: 'electron/preload/x.ts', code: "import { contextBridge, ipcRenderer } from 'electron';", fails: null },
  { file: 'electron.vite.config.ts', code: "import { defineConfig } from 'electron-vite';", fails: null },

  // (b) shared/ runs in Node and in the browser: no Node builtin, no Node-only or browser-only package, nothing of electron/ or renderer/
  { file: 'shared/x.ts', code: "import { readFile } from 'node:fs';", fails: 'shared' },
  { file: 'shared/x.ts', code: "import { join } from 'path';", fails: 'shared' },
  { file: 'shared/transports/x.ts', code: "import { readFile } from 'fs/promises';", fails: 'shared' },
  { file: 'shared/x.ts', code: "import { WebSocket } from 'ws';", fails: 'shared' },
  { file: 'shared/x.ts', code: "import { useState } from 'react';", fails: 'shared' },
  { file: 'shared/x.ts', code: "import type { Engine } from '../electron/engine/engine-api.js';", fails: 'shared' },
  { file: 'shared/transports/x.ts', code: "import { x } from '../../renderer/src/api/api-hub.js';", fails: 'shared' },
  { file: 'shared/x.ts', code: "import { z } from 'zod';\nimport type { EngineState } from './engine-state.js';", fails: null },
  { file: 'shared/transports/x.ts', code: "import { API_METHOD_NAMES } from '../switchboard-api.js';", fails: null },
  { file: 'shared/x.ts', code: "export const key = localStorage.getItem('key');", fails: 'shared' },
  { file: 'shared/x.ts', code: 'export const pid = process.pid;', fails: 'shared' },
  { file: 'shared/x.ts', code: "export const bytes = Buffer.from('x');", fails: 'shared' },
  { file: 'shared/transports/x.ts', code: "export const Impl = globalThis.WebSocket;\nexport const bytes = new TextEncoder().encode(new URL('ws://h/').host);", fails: null },
  { file: 'shared/x.test.ts', code: "export const fixture = process.env.FIXTURE ?? Buffer.from('x');", fails: null },

  // (c) the root helper never imports the engine (nor the CLI, main, preload, renderer)
  { file: 'electron/helper/x.ts', code: "import { createEngine } from '../engine/engine.js';", fails: 'helper' },
  { file: 'electron/helper/x.ts', code: "import type { Engine } from '../engine/engine-api.js';", fails: 'helper' },
  { file: 'electron/helper/x.ts', code: "import { createEngine } from '../../electron/engine/engine.js';", fails: 'helper' },
  { file: 'electron/helper/x.ts', code: "export * from '../engine/engine.js';", fails: 'helper' },
  { file: 'electron/helper/x.ts', code: "const { createEngine } = await import('../engine/engine.js');\nexport { createEngine };", fails: 'helper' },
  { file: 'electron/helper/x.ts', code: "import { main } from '../cli/main.js';", fails: 'helper' },
  { file: 'electron/helper/x.ts', code: "import { x } from '../main/index.js';", fails: 'helper' },
  {
    file: 'electron/helper/x.ts',
    code: "import { readFile } from 'node:fs/promises';\nimport { HELPER_SOCKET } from '../../shared/helper-protocol.js';\nimport { writeFileAtomic } from '../system/write-file-atomic.js';\nimport { z } from 'zod';",
    fails: null,
  },

  // (d) the renderer never imports electron/ (nor Node)
  { file: 'renderer/src/gpus/x.tsx', code: "import { parseTopoMatrix } from '../../../electron/engine/gpu/parse-topo-matrix.js';", fails: 'renderer' },
  { file: 'renderer/src/x.ts', code: "import type { IpcCallReply } from '../../electron/preload/ipc-transport.js';", fails: 'renderer' },
  { file: 'renderer/src/x.ts', code: "import { readFileSync } from 'node:fs';", fails: 'renderer' },
  { file: 'renderer/src/gpus/x.tsx', code: "import type { EngineState } from '../../../shared/engine-state.js';\nimport { create } from 'zustand';", fails: null },

  // (e) electron/system is the bottom layer
  { file: 'electron/system/x.ts', code: "import { EngineError } from '../engine/engine-error.js';", fails: 'system' },
  { file: 'electron/system/nvidia-smi/x.ts', code: "import { x } from '../../helper/operations.js';", fails: 'system' },
  { file: 'electron/system/x.ts', code: "import { main } from '../cli/main.js';", fails: 'system' },
  { file: 'electron/system/x.ts', code: "import { readFile } from 'node:fs/promises';\nimport { describeErrno } from './describe-errno.js';", fails: null },

  // (f) the engine reaches the helper only through helper-client, and never main or the CLI
  { file: 'electron/engine/x.ts', code: "import { startHelperServer } from '../helper/helper-server.js';", fails: 'engine' },
  { file: 'electron/engine/x.ts', code: "const { main } = await import('../helper/main.js');\nexport { main };", fails: 'engine' },
  { file: 'electron/engine/x.ts', code: "import { x } from '../main/index.js';", fails: 'engine' },
  { file: 'electron/engine/api/x.ts', code: "import { readSseEvents } from '../../cli/sse-parser.js';", fails: 'engine' },
  { file: 'electron/engine/backends/systemd/x.ts', code: "const { HelperUnitControl } = await import('../../../helper/helper-client.js');\nexport { HelperUnitControl };", fails: null },
  { file: 'electron/engine/x.ts', code: "import { HelperUnitControl } from '../helper/helper-client.js';\nimport { writeFileAtomic } from '../system/write-file-atomic.js';", fails: null },

  // (g) main hosts the engine; it takes only types from the preload, and nothing from the CLI
  { file: 'electron/main/x.ts', code: "import { createEngine } from '../engine/engine.js';\nimport type { IpcCallReply } from '../preload/ipc-transport.js';", fails: null },
  { file: 'electron/main/x.ts', code: "import { createIpcTransport } from '../preload/ipc-transport.js';", fails: 'main' },
  { file: 'electron/main/x.ts', code: "import { formatDuration } from '../cli/format-duration.js';", fails: 'main' },
  { file: 'electron/main/x.ts', code: "import { x } from '../helper/helper-server.js';", fails: 'main' },
  // ... the CLI runs the engine and the helper's entry, and nothing of main
  { file: 'electron/cli/x.ts', code: "import { createEngine } from '../engine/engine.js';\nexport const load = () => import('../helper/main.js');", fails: null },
  { file: 'electron/cli/x.ts', code: "import { x } from '../helper/operations.js';", fails: 'cli' },
  { file: 'electron/cli/x.ts', code: "import { x } from '../main/index.js';", fails: 'cli' },
  // ... the sandboxed preload takes the contract from shared/ and nothing else
  { file: 'electron/preload/x.ts', code: "import { x } from '../engine/engine.js';", fails: 'preload' },
  { file: 'electron/preload/x.ts', code: "import { readFile } from 'node:fs';", fails: 'preload' },
  { file: 'electron/preload/x.ts', code: "import { PRELOAD_GLOBAL } from '../../shared/switchboard-api.js';", fails: null },
];

/** The rules that carry the boundaries: imports, `await import()`, and shared/'s globals. */
const LAYER_RULES = ['@typescript-eslint/no-restricted-imports', 'no-restricted-syntax', 'no-restricted-globals'];

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

describe('the layer boundaries of eslint.config.js', () => {
  it.each(CASES)('$file: $code → $fails', async ({ file, code, fails }) => {
    const [result] = await eslint.lintText(`${code}\n`, { filePath: join(ROOT, file) });
    expect(result).toBeDefined();
    const layerErrors = result!.messages.filter((m) => LAYER_RULES.includes(m.ruleId ?? ''));
    // Only the boundary rules are under test here: the snippets may break others (an unused import).
    if (fails === null) {
      expect(layerErrors).toEqual([]);
      return;
    }
    expect(layerErrors).toHaveLength(1);
    expect(layerErrors[0]).toMatchObject({ severity: 2, message: expect.stringContaining(`Layer rule (${fails})`) });
  });

  it('ignores the build output and dependencies', async () => {
    expect(await eslint.isPathIgnored(join(ROOT, 'out/main/index.js'))).toBe(true);
    expect(await eslint.isPathIgnored(join(ROOT, 'dist/linux-unpacked/resources/app.js'))).toBe(true);
    expect(await eslint.isPathIgnored(join(ROOT, 'electron/engine/engine.ts'))).toBe(false);
  });
});

describe('a broken layer rule fails the build', () => {
  it('npm test runs the lint', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.lint).toMatch(/^eslint \./);
    expect(scripts.test).toContain('npm run lint');
  });

  it('the eslint command exits 1 on an engine file that imports electron', () => {
    const lint = spawnSync(process.execPath, [join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', 'electron/engine/uses-electron.ts'], {
      cwd: ROOT,
      input: "import { app } from 'electron';\n\nexport const ready = app.whenReady();\n",
      encoding: 'utf8',
    });
    expect(lint.stdout).toContain('Layer rule (engine): only electron/main and electron/preload import');
    expect(lint.status).toBe(1);
  });
});
