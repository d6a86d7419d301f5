import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineState, SwapRecord } from '../../shared/engine-state.js';
import { startAttackerServer, type AttackerServer, type AttackTargets } from './support/attacker-server.js';
import { chromiumMissingReason, launchChromium, OTHER_USER, otherUserChromiumMissingReason, type Browser } from './support/chromium.js';
import { startDemoServer, type DemoServer } from './support/demo-server.js';
import { readFakeGpus } from './support/read-fake-gpus.js';
import { startRebindingForwarder, type RebindingForwarder } from './support/rebinding-forwarder.js';

// Issue 12 in a real Chromium against `switchboard serve` on the demo host: pages of other origins
// (CSRF, no-cors fetches, forms, cross-site WebSockets), DNS rebinding, and another local user's
// browser. What counts is the engine's real state afterwards (slots, swap history, the fake
// nvidia-smi's power limits), read with the admin token, never what the attacking page believes.

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const RENDERER_BUILT = existsSync(fileURLToPath(new URL('../../out/renderer/index.html', import.meta.url)));
const skipReason = chromiumMissingReason() ?? (RENDERER_BUILT ? null : 'out/renderer is not built (npm test builds it first; run npm run build)');
const otherUserSkipReason = otherUserChromiumMissingReason();
if (skipReason) console.warn(`[e2e security] skipped: ${skipReason}`);
else if (otherUserSkipReason) console.warn(`[e2e security] the other-user browser test is skipped: ${otherUserSkipReason}`);

const ADMIN_KEY = 'e2e-admin-key-6f1c0d2b9a8e7f65';
const QWEN = 'qwen2.5-7b-instruct';
const MISTRAL = 'mistral-large-2411-awq';
/** Chromium resolves this name to 127.0.0.1, as a rebinding attacker's DNS would. */
const EVIL = 'evil.test';

interface AttackResults {
  done: boolean;
  results: Record<string, unknown>;
}

describe.skipIf(skipReason !== null)('the control surface against web pages, in Chromium', () => {
  let server: DemoServer;
  let attacker: AttackerServer;
  let forwarder: RebindingForwarder;
  let browser: Browser;
  let page: Page;
  let targets: Omit<AttackTargets, 'engine'>;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    server = await startDemoServer({ timeScale: 0.02, router: { adminKeys: [ADMIN_KEY] } });
    attacker = await startAttackerServer();
    forwarder = await startRebindingForwarder(server.port);
    browser = await launchChromium({ width: 1280, height: 800 }, { args: [`--host-resolver-rules=MAP ${EVIL} 127.0.0.1`] });
    page = browser.page;
    targets = { switchTo: MISTRAL, unload: QWEN, gpuUuid: (await readFakeGpus(server))[1]!.uuid };
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await forwarder?.close();
    await attacker?.close();
    await server?.stop();
  });

  /** What an attack would change: slots, model states, waiting requests, swap history, power limits. */
  async function engineSnapshot() {
    const state = await adminGet<EngineState>(server, '/api/state');
    const { swaps } = await adminGet<{ swaps: SwapRecord[] }>(server, '/api/swaps?limit=10000');
    return {
      slots: state.slots.map((s) => ({ id: s.id, status: s.status, modelId: s.modelId })),
      models: Object.fromEntries(state.models.map((m) => [m.id, m.status])),
      requests: state.requests.length,
      swaps: swaps.length,
      powerLimitsW: (await readFakeGpus(server)).map((g) => g.powerLimitW),
    };
  }

  async function runAttack(url: string): Promise<Record<string, unknown>> {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { attack?: AttackResults }).attack?.done === true, undefined, { timeout: 30_000 });
    return page.evaluate(() => (window as unknown as { attack: AttackResults }).attack.results);
  }

  it('the UI at /ui/ switches a model with nothing typed: the engine hands its own user the token', async () => {
    await page.goto(`${server.url}/ui/`);
    await page.getByTestId(`switch-${QWEN}`).click({ timeout: 30_000 });
    await expect.poll(async () => (await adminGet<EngineState>(server, '/api/state')).activeModels, { timeout: 60_000 }).toEqual([QWEN]);
    await page.locator('[data-testid="slot-status"][data-status="ready"]').waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => localStorage.getItem('switchboard.adminKey'))).toBeNull();
    await page.getByTestId('nav-settings').click();
    expect(await page.getByTestId('admin-key-hint').textContent()).toMatch(/^Not needed here: this browser runs as the engine's user/);
    expect(await page.getByTestId('connection-banner').count()).toBe(0);
  });

  it('a page of another origin (another port on 127.0.0.1) changes nothing: no-cors fetches, forms, WebSockets', async () => {
    const before = await engineSnapshot();
    expect(before.models[QWEN]).toBe('loaded');
    expect(before.models[MISTRAL]).toBe('unloaded');
    const results = await runAttack(attacker.attackUrl('127.0.0.1', { engine: server.url, ...targets }));
    expectNothingGotThrough(results);
    expect(await engineSnapshot()).toEqual(before);
  });

  it('DNS rebinding: the UI under a foreign Host name is 403, and a page of that name changes nothing', async () => {
    const before = await engineSnapshot();
    const ui = await page.goto(`http://${EVIL}:${server.port}/ui/`);
    expect(ui?.status()).toBe(403);
    expect(await ui?.text()).toContain('DNS rebinding');
    const results = await runAttack(attacker.attackUrl(EVIL, { engine: `http://${EVIL}:${server.port}`, ...targets }));
    expectNothingGotThrough(results);
    expect(await engineSnapshot()).toEqual(before);
  });

  it("DNS rebinding onto the page's own origin: it reads no token, calls nothing, opens no WebSocket", async () => {
    // Control: through the forwarder, with the engine's own Host, this process (the engine's uid)
    // gets the token. So below, only the Host check stands between the page and the token.
    const control = await request(`http://127.0.0.1:${forwarder.port}/api/session`, { headers: { host: `127.0.0.1:${server.port}` } });
    expect(await control.body.json()).toEqual({ via: 'local-user', adminToken: await server.adminToken() });

    const before = await engineSnapshot();
    const results = await runAttack(forwarder.pageUrl(EVIL, targets));
    for (const label of ['session', 'ui', 'state', 'switch', 'unload', 'stop', 'powerLimit', 'chat']) {
      expect(results[label], label).toMatchObject({ status: 403 });
    }
    expect(JSON.stringify(results)).not.toContain(await server.adminToken());
    expect(results['ws']).not.toContain('open');
    // /v1 answers any Host (Open WebUI's may be host.docker.internal), and a same-origin GET has no Origin.
    console.log(`[e2e security] GET /v1/models from the rebound page: HTTP ${(results['models'] as { status?: number }).status}`);
    expect(await engineSnapshot()).toEqual(before);
  });

  describe.skipIf(otherUserSkipReason !== null)("another local user's browser", () => {
    let other: Browser;
    afterAll(async () => other?.close());

    it('gets no token: the banner asks for an admin key, nothing changes; with the key typed under Settings it works', async () => {
      other = await launchChromium({ width: 1100, height: 700 }, { asUser: OTHER_USER });
      const ui = other.page;
      const before = await engineSnapshot();
      await ui.goto(`${server.url}/ui/`);
      const banner = ui.getByTestId('connection-banner');
      await ui.locator('[data-testid="connection-banner"][data-reason="needs-key"]').waitFor({ timeout: 30_000 });
      expect(await banner.textContent()).toBe('This browser needs an admin key — enter it under Settings (Alt+6).');
      await ui.screenshot({ path: join(SCREENSHOTS, 'admin-key-needed.png') });
      // The page's own origin asks, as the engine's user would: the answer is 401 for this uid.
      expect(await ui.evaluate(() => fetch('/api/session').then((r) => r.status))).toBe(401);
      expect(await ui.locator('[data-testid^="model-row-"]').count()).toBe(0);

      await ui.getByTestId('banner-settings-link').click();
      await ui.getByTestId('admin-key-input').fill('not-the-admin-key-0000');
      await ui.getByTestId('admin-key-save').click();
      await ui.locator('[data-testid="connection-banner"][data-reason="key-refused"]').waitFor({ timeout: 30_000 });
      expect(await ui.getByTestId('admin-key-hint').textContent()).toMatch(/^The engine refused the saved key/);
      await ui.screenshot({ path: join(SCREENSHOTS, 'admin-key-refused.png') });
      expect(await engineSnapshot()).toEqual(before);

      await ui.getByTestId('admin-key-input').fill(ADMIN_KEY);
      await ui.getByTestId('admin-key-save').click();
      await banner.waitFor({ state: 'detached', timeout: 30_000 });
      expect(await ui.getByTestId('admin-key-hint').textContent()).toBe('Saved in this browser; the engine accepted it.');
      await ui.getByTestId('nav-models').click();
      await ui.getByTestId(`unload-${QWEN}`).click({ timeout: 30_000 });
      await expect.poll(async () => (await adminGet<EngineState>(server, '/api/state')).activeModels, { timeout: 30_000 }).toEqual([]);

      // The key stays in this browser: a reload connects without asking.
      await ui.reload();
      await ui.getByTestId(`model-row-${QWEN}`).waitFor({ timeout: 30_000 });
      expect(await ui.getByTestId('connection-banner').count()).toBe(0);
      expect(other.errors.filter((e) => !/favicon|401|Unauthorized|WebSocket/i.test(e))).toEqual([]);
    });
  });
});

/** Every attack of attacker-server's page was sent and none could be observed to work. */
function expectNothingGotThrough(results: Record<string, unknown>): void {
  // The no-cors fetches were sent (opaque answers) and the forms were posted (their frames loaded).
  for (const label of ['switch', 'unload', 'stop', 'powerLimit', 'preset', 'chat']) expect(results[label], label).toBe('answered:opaque');
  for (const label of ['formTextPlain', 'formUrlencoded']) expect(results[label], label).toBe('frame loaded');
  for (const label of ['ws', 'wsV1']) {
    expect(results[label], label).not.toContain('open');
    expect(results[label], label).toContain('close:1006');
  }
  expect(results['session']).toMatch(/^failed:/);
}

async function adminGet<T>(server: DemoServer, path: string): Promise<T> {
  const res = await request(`${server.url}${path}`, { headers: { authorization: `Bearer ${await server.adminToken()}` } });
  if (res.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${res.statusCode} ${await res.body.text()}`);
  return (await res.body.json()) as T;
}
