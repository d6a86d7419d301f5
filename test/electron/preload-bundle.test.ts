import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { IPC_CALL_CHANNEL, IPC_RESTART_ENGINE_CHANNEL, PRELOAD_GLOBAL } from '../../shared/switchboard-api.js';

// The built preload (out/preload/index.cjs) as Electron's sandbox runs it: CommonJS, and
// `require` limited to a few modules (electron, events, timers, url). Run here in a bare VM
// context with a stand-in for electron's contextBridge and ipcRenderer.

const BUNDLE = join(import.meta.dirname, '..', '..', 'out', 'preload', 'index.cjs');
const reason = existsSync(BUNDLE) ? null : 'out/preload/index.cjs is not built (npm run build)';
if (reason) console.warn(`preload-bundle skipped: ${reason}`);

describe.skipIf(reason !== null)('the built preload', () => {
  function load() {
    const required: string[] = [];
    const exposed = new Map<string, Record<string, unknown>>();
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          invoked.push(args);
          return { ok: true, result: 'pong' };
        },
        send: () => undefined,
        on: () => undefined,
        removeListener: () => undefined,
      },
    };
    const module = { exports: {} };
    runInNewContext(readFileSync(BUNDLE, 'utf8'), {
      require: (id: string) => {
        required.push(id);
        if (id === 'electron') return electron;
        throw new Error(`a sandboxed preload cannot require ${id}`);
      },
      module,
      exports: module.exports,
      console,
    });
    return { required, exposed, invoked };
  }

  it('requires only electron and exposes the transport, not ipcRenderer, as window.switchboard', async () => {
    const { required, exposed, invoked } = load();
    expect(required).toEqual(['electron']);
    expect([...exposed.keys()]).toEqual([PRELOAD_GLOBAL]);
    const api = exposed.get(PRELOAD_GLOBAL)!;
    expect(Object.keys(api).sort()).toEqual(['call', 'kind', 'onConnection', 'restartEngine', 'subscribe']);
    expect(api.kind).toBe('ipc');
    await expect((api.call as (m: string, p: object) => Promise<unknown>)('state.get', {})).resolves.toBe('pong');
    expect(invoked).toEqual([[IPC_CALL_CHANNEL, 'state.get', {}]]);
    // The one thing beyond the contract: ask main to start its engine process again.
    await (api.restartEngine as () => Promise<void>)();
    expect(invoked.at(-1)).toEqual([IPC_RESTART_ENGINE_CHANNEL]);
  });
});
