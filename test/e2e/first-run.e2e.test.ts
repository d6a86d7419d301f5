import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium, type Browser } from './support/chromium.js';
import { startSetupServer, writeModelDir, writeStartScript, type SetupServer } from './support/setup-server.js';

// First run in a real Chromium: an engine started on a catalog file that does not exist (setup mode)
// shows the first-run screen at /ui/; importing a start script, adding a model, or restarting on the
// simulated host each lead to the normal Models screen. The engine runs in this process (see
// support/setup-server.ts); the page talks to it over /api/ws like any browser.

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const RENDERER_BUILT = existsSync(fileURLToPath(new URL('../../out/renderer/index.html', import.meta.url)));
const skipReason = chromiumMissingReason() ?? (RENDERER_BUILT ? null : 'out/renderer is not built (npm test builds it first; run npm run build)');

if (skipReason) console.warn(`[e2e] first-run skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('first run in Chromium: an engine without a catalog file', () => {
  let browser: Browser;
  let server: SetupServer | undefined;
  let page: Page;
  /** Page errors and console errors of the current test's page. */
  let errors: string[];

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await launchChromium({ width: 1280, height: 800 });
  }, 60_000);
  afterEach(async () => {
    // The page goes first: an engine stopping under it would make it log failed reconnects.
    await page?.close();
    await server?.stop();
    server = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(opts: { restartable?: boolean } = {}): Promise<SetupServer> {
    server = await startSetupServer(opts);
    page = await browser.context.newPage();
    errors = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    await page.goto(`${server.url}/ui/`);
    await page.getByTestId('first-run').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('first-run-path').textContent()).toBe(server.configPath);
    // No navigation while there is nothing to navigate.
    expect(await page.getByTestId('nav-models').count()).toBe(0);
    return server;
  }

  /** No uncaught error (the CSP blocking an eval would be one) and no console error, but those `expected`. */
  function expectNoPageErrors(expected?: RegExp) {
    expect(errors.filter((e) => !/favicon/.test(e) && !(expected && e.startsWith('console:') && expected.test(e)))).toEqual([]);
  }

  /** The normal shell on the Models screen, with this model's row. */
  async function expectModelsScreenWith(id: string) {
    await page.getByTestId(`model-row-${id}`).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('first-run').count()).toBe(0);
    expect(await page.getByTestId('nav-models').getAttribute('aria-current')).toBe('page');
  }

  it('imports a start script: preview, import, and the Models screen shows the new model', async () => {
    const s = await open();
    const scripts = await writeStartScript(s.dir, 'llama', await writeModelDir(s.dir, 'Llama-3.1-8B'), 'llama8b');
    await page.screenshot({ path: join(SCREENSHOTS, 'first-run.png') });

    const card = page.getByTestId('first-run-import');
    await card.getByLabel(/Folder or script paths/).fill(scripts);
    await card.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => card.getByTestId('import-report').textContent(), { timeout: 30_000 }).toMatch(/start_sglang_llama\.sh → llama8b/);
    expect(existsSync(s.configPath)).toBe(false); // a preview writes nothing
    await card.getByRole('button', { name: 'Import 1 model' }).click();

    await expectModelsScreenWith('llama8b');
    expect(await page.getByText('Imported llama8b.').count()).toBe(1);
    expect(await readFile(s.configPath, 'utf8')).toMatch(/id: llama8b/);
    expect(s.engine().state().setup).toBeUndefined();
    expect(s.restarts).toEqual([]); // models apply live: no restart
    expectNoPageErrors();
  });

  it('adds a model with the model form: review, save, and the Models screen shows it', async () => {
    const s = await open();
    const modelPath = await writeModelDir(s.dir, 'tiny');
    await page.getByTestId('first-run-add').getByRole('button', { name: 'Add a model' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add model' });
    await dialog.getByLabel(/^Id \(/).fill('tiny');
    await dialog.getByLabel(/Model path/).fill(modelPath);
    await dialog.getByRole('button', { name: 'Review changes' }).click();
    await dialog.getByRole('button', { name: 'Save' }).click({ timeout: 30_000 });

    await expectModelsScreenWith('tiny');
    expect(await page.getByText('Saved tiny.').count()).toBe(1);
    expect(await readFile(s.configPath, 'utf8')).toContain(modelPath);
    // The other screens work too now.
    await page.keyboard.press('Alt+2');
    await page.getByRole('heading', { name: 'Switch progress' }).waitFor({ timeout: 30_000 });
    expectNoPageErrors();
  });

  it('tries the simulated host: the engine restarts on it and the page reconnects to the Models screen', async () => {
    const s = await open({ restartable: true });
    await page.getByTestId('first-run-simulated').getByRole('button', { name: 'Try the simulated host' }).click();
    await page.getByTestId('first-run-restarting').waitFor({ timeout: 30_000 });
    await expectModelsScreenWith('qwen2.5-7b-instruct');
    expect(s.restarts).toEqual([expect.objectContaining({ configPath: join(s.dir, 'state', 'simulated-host', 'switchboard.yaml') })]);
    expect(s.engine().state().setup).toBeUndefined();
    await expect.poll(() => page.getByTestId('connection-banner').count(), { timeout: 30_000 }).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'first-run-simulated-host.png') });
    // While the engine restarted, the page's reconnect attempts failed; nothing else may have.
    expectNoPageErrors(/WebSocket connection|ERR_CONNECTION_REFUSED|Failed to load resource/);
  });

  it('without a host that can restart the engine, says to run `switchboard demo`', async () => {
    await open();
    await page.getByTestId('first-run-simulated').getByRole('button', { name: 'Try the simulated host' }).click();
    await expect.poll(() => page.getByTestId('first-run-simulated-error').textContent(), { timeout: 30_000 }).toMatch(/switchboard demo/);
    expect(await page.getByTestId('first-run').count()).toBe(1);
    expectNoPageErrors();
  });
});
