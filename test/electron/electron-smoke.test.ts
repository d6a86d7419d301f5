import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDemoHost } from '../../electron/engine/catalog/write-demo-host.js';
import { freePort } from '../fakes/sglang-sim/sim-harness.js';

// The real app in the real Electron, driven by Playwright: opens on a demo catalog, shows the
// window and the Models screen, answers over IPC and on the router port, and quits (stopping
// the engine). Needs the Electron binary, which cannot be downloaded on every machine (our CI):
// there the test is skipped and says why. ELECTRON_PATH points at a binary installed elsewhere.

const ROOT = join(import.meta.dirname, '..', '..');

/** The Electron executable, or why there is none. */
function findElectron(): { path: string } | { missing: string } {
  if (process.env.ELECTRON_PATH) {
    return existsSync(process.env.ELECTRON_PATH) ? { path: process.env.ELECTRON_PATH } : { missing: `ELECTRON_PATH=${process.env.ELECTRON_PATH} does not exist` };
  }
  const pathFile = join(ROOT, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return { missing: 'Electron binary not present (cannot be downloaded here) — node_modules/electron/path.txt is missing; set ELECTRON_PATH to run it' };
  const binary = join(ROOT, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary } : { missing: `Electron binary not present (cannot be downloaded here) — ${binary} is missing; set ELECTRON_PATH to run it` };
}

function skipReason(): string | null {
  const electron = findElectron();
  if ('missing' in electron) return electron.missing;
  if (!existsSync(join(ROOT, 'out', 'main', 'index.js'))) return 'the app is not built (npm run build makes out/)';
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display (run under xvfb-run -a)';
  return null;
}

const reason = skipReason();
if (reason) console.warn(`electron-smoke skipped: ${reason}`);

describe('the desktop app in Electron', () => {
  it.skipIf(reason !== null)(
    'opens on a demo catalog, shows the Models screen, answers over IPC and on the router port, and quits',
    async () => {
      const { _electron } = await import('playwright-core');
      const dir = await mkdtemp(join(tmpdir(), 'sb-electron-smoke-'));
      const routerPort = await freePort();
      const configPath = await writeDemoHost({ dir, routerPort, backendPort: await freePort(), timeScale: 0.02 });
      const app = await _electron.launch({
        executablePath: (findElectron() as { path: string }).path,
        args: [ROOT, '--config', configPath, '--disable-gpu', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
        // A private profile, state and config: nothing of the user's is read or written.
        env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), FAKE_NVIDIA_SMI_STATE: join(dir, 'nvidia-smi-state.json') } as Record<string, string>,
        timeout: 60_000,
      });
      try {
        const page = await app.firstWindow();
        await expect.poll(() => page.title(), { timeout: 30_000 }).toBe('SGLang Switchboard');
        const models = page.getByRole('link', { name: 'Models' });
        await models.waitFor({ timeout: 30_000 });
        expect(await models.getAttribute('aria-current')).toBe('page');

        // The preload's transport, end to end: IPC bridge → main → /api/ws of its supervised engine process.
        const ids = await page.evaluate(async () => {
          const transport = (window as unknown as { switchboard: { call(m: string, p: object): Promise<Array<{ id: string }>> } }).switchboard;
          return (await transport.call('models.list', {})).map((m) => m.id);
        });
        expect(ids).toEqual(['qwen2.5-7b-instruct', 'mistral-large-2411-awq', 'kat-dev-awq-8bit']);
        const bridgedError = await page.evaluate(async () => {
          const transport = (window as unknown as { switchboard: { call(m: string, p: object): Promise<unknown> } }).switchboard;
          return transport.call('models.switchTo', { model: 'nope' }).catch((err: { code?: string }) => err.code);
        });
        expect(bridgedError).toBe('unknown_model');

        const res = await fetch(`http://127.0.0.1:${routerPort}/v1/models`);
        expect(res.status).toBe(200);
        await app.close();
        // Quit stops the engine process: nothing answers on the router port any more.
        await expect(fetch(`http://127.0.0.1:${routerPort}/v1/models`)).rejects.toThrow();
      } finally {
        await app.close().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      }
      // Quit stopped the engine: the router port is free again.
      await expect(fetch(`http://127.0.0.1:${routerPort}/v1/models`)).rejects.toThrow();
    },
    120_000,
  );
});
