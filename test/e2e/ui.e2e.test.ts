import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_NVIDIA_SMI_BIN } from '../../electron/engine/catalog/write-demo-host.js';
import { chromiumMissingReason, launchChromium, type Browser } from './support/chromium.js';
import { startDemoServer, type DemoServer } from './support/demo-server.js';

// The whole UI in a real Chromium against `switchboard serve` on the demo catalog: the browser
// view at /ui/ over the WebSocket transport, the simulator for SGLang, the fake nvidia-smi for GPUs.
// Screenshots of each main screen go to test-results/screenshots/ (see the README).

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const RENDERER_BUILT = existsSync(fileURLToPath(new URL('../../out/renderer/index.html', import.meta.url)));
const skipReason = chromiumMissingReason() ?? (RENDERER_BUILT ? null : 'out/renderer is not built (npm test builds it first; run npm run build)');
const isRoot = process.getuid?.() === 0;

if (skipReason) console.warn(`[e2e] skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('the UI in Chromium against serve on the demo host', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    server = await startDemoServer({ timeScale: 0.04 });
    browser = await launchChromium({ width: 1280, height: 800 });
    page = browser.page;
    await page.goto(`${server.url}/ui/`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  const go = async (screen: string) => {
    await page.getByTestId(`nav-${screen}`).click();
    await page.waitForFunction((id) => location.hash === `#${id}`, screen);
  };

  it('shows the catalog with every model unloaded', async () => {
    for (const id of ['qwen2.5-7b-instruct', 'mistral-large-2411-awq', 'kat-dev-awq-8bit']) {
      await expect.poll(() => page.getByTestId(`model-row-${id}`).isVisible()).toBe(true);
    }
    expect(await page.getByTestId('slot-status').getAttribute('data-status')).toBe('stopped');
    await shot('models');
  });

  it('switches to a model and shows its load phases until ready', async () => {
    await page.getByTestId('switch-mistral-large-2411-awq').click();
    await go('switch');
    // Record every phase the timeline marks as current while the load runs.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenPhases: string[] }).seenPhases = seen;
      const record = () => {
        const current = document.querySelector('[data-testid^="phase-"][aria-current="step"]')?.getAttribute('data-testid');
        if (current && seen.at(-1) !== current) seen.push(current);
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
      record();
    });
    await page.locator('[data-testid="slot-status"][data-status="ready"]').waitFor({ timeout: 60_000 });
    const seen = await page.evaluate(() => (window as unknown as { seenPhases: string[] }).seenPhases);
    // torch.compile and CUDA graphs are this model's long phases; weights are always there.
    expect(seen).toEqual(expect.arrayContaining(['phase-weights', 'phase-cuda_graphs', 'phase-torch_compile']));
    expect(await page.getByTestId('phase-ready').getAttribute('data-state')).toBe('done');
    expect(await page.getByTestId('active-model').textContent()).toContain('mistral');
    // The memory the fit estimate predicted, beside what the simulated SGLang reported (log, then /get_server_info).
    const weights = page.getByTestId('switch-fit-weights');
    await expect.poll(() => weights.textContent(), { timeout: 20_000 }).toMatch(/^Weights per GPU[\d.]+ GiB[\d.]+ GiB[+−][\d.]+ %$/);
    expect(await page.getByTestId('switch-fit-kv').textContent()).toMatch(/^KV cache tokens[\d,]+[\d,]+[+−][\d.]+ %$/);
    await shot('switch-ready');
  });

  it('estimates the fit live in the model form as tp and GPUs change', async () => {
    await go('models');
    await page.getByRole('button', { name: 'Edit kat-dev-awq-8bit' }).click();
    const note = page.getByTestId('form-fit');
    // As the catalog has it (tp 4 over GPUs 2-5): it fits.
    await expect.poll(() => note.getAttribute('data-verdict'), { timeout: 20_000 }).toMatch(/^(fits|tight)$/);
    // On two 3090s the 72B 8-bit weights cannot fit: the estimate says so before anything is saved.
    await page.getByLabel('Tensor parallel (tp)').fill('2');
    await page.getByLabel('GPUs', { exact: true }).fill('4, 5');
    await expect.poll(() => note.getAttribute('data-verdict'), { timeout: 20_000 }).toBe('will_not_fit');
    expect(await note.textContent()).toMatch(/Will not fit.*GPU [45].*GiB/);
    await shot('model-form-fit');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('model-form').waitFor({ state: 'detached' });
  });

  it('switches to the OOM model and shows the failure card with its cause and hint', async () => {
    await go('models');
    await page.getByTestId('switch-kat-dev-awq-8bit').click();
    await go('switch');
    const card = page.getByTestId('failure-card');
    await card.waitFor({ timeout: 60_000 });
    const text = (await card.textContent()) ?? '';
    expect(text).toMatch(/out of memory/i);
    expect(text).toMatch(/mem-fraction-static|memFractionStatic|tensor parallel|tp/i); // the fix hint
    expect(await card.getByLabel('Last log lines').textContent()).toMatch(/OutOfMemoryError|out of memory/i);
    expect(await page.getByTestId('slot-status').getAttribute('data-status')).toBe('failed');
    // KAT-Dev (GPUs 2-5) shares GPUs 2-4 with Mistral (GPUs 1-4): the swap history shows Mistral evicted for it.
    const evicted = page.locator('[data-testid="swap-history"] [data-testid="swap-record"][data-action="unload"][data-cause="evict"]');
    await expect.poll(() => evicted.first().textContent(), { timeout: 20_000 }).toMatch(/mistral-large-2411-awq[\s\S]*kat-dev-awq-8bit/);
    await shot('switch-failed');
  });

  it('shows the backend log lines in the terminal', async () => {
    await go('logs');
    const terminal = page.getByTestId('log-terminal');
    await terminal.waitFor();
    await expect.poll(() => terminal.locator('.xterm-rows').textContent(), { timeout: 20_000 }).toMatch(/CUDA out of memory|OutOfMemoryError/);
    await shot('logs');
  });

  it.skipIf(!isRoot)('sets a GPU power limit and confirms it; another one reverts by itself', async () => {
    await go('gpus');
    await page.getByTestId('gpu-card-0').waitFor({ timeout: 20_000 });
    await page.getByTestId('topology-matrix').waitFor();
    expect(await page.locator('[data-testid="topology-matrix"] [data-kind="nvlink"]').count()).toBeGreaterThan(0);

    // GPU 1: applied and left alone → reverts after the engine's default delay.
    const before1 = await enforcedLimit(server, 1);
    await page.getByTestId('power-input-1').fill(String(before1 - 50));
    await page.getByTestId('power-apply-1').click();
    await page.getByTestId('power-countdown-1').waitFor({ timeout: 30_000 });

    // GPU 0: applied and confirmed → kept.
    await page.getByTestId('power-input-0').fill('250');
    await page.getByTestId('power-apply-0').click();
    await page.getByTestId('power-confirm-0').click({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('power-outcome-0').textContent(), { timeout: 30_000 }).toMatch(/confirmed|kept/i);
    expect(await enforcedLimit(server, 0)).toBe(250);
    await shot('gpus');

    await expect.poll(() => page.getByTestId('power-outcome-1').textContent(), { timeout: 60_000 }).toMatch(/reverted/i);
    await expect.poll(() => enforcedLimit(server, 1), { timeout: 20_000 }).toBe(before1);
    expect(await enforcedLimit(server, 0)).toBe(250);
  });

  it('runs a benchmark (loading the model first) and shows tok/s live and in the table', async () => {
    await go('throughput');
    await page.getByTestId('bench-model').selectOption('qwen2.5-7b-instruct');
    await page.getByTestId('bench-run').click();
    await expect.poll(() => page.getByTestId('bench-result').textContent(), { timeout: 90_000 }).toMatch(/tok\/s/);
    const row = page.locator('[data-testid="bench-table"] tbody tr', { hasText: 'qwen2.5-7b-instruct' });
    await row.waitFor({ timeout: 20_000 });
    // The simulator generates at 50 tok/s; the measured decode speed must be near it.
    const tokPerS = Number((await page.getByTestId('bench-result').textContent())!.match(/([\d.]+)\s*tok\/s/)![1]);
    expect(tokPerS).toBeGreaterThan(30);
    expect(tokPerS).toBeLessThan(70);
    await shot('throughput');
  });

  it('lists router requests on the Requests screen with status, cause, TTFT, tokens and tok/s, filtered by status', async () => {
    // qwen2.5-7b-instruct is ready after the benchmark: a stream with usage, then an unknown model.
    const ask = (body: Record<string, unknown>) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16, ...body }),
      });
    const streamed = await ask({ model: 'qwen2.5-7b-instruct', stream: true, stream_options: { include_usage: true } });
    expect(streamed.status).toBe(200);
    await streamed.text();
    expect((await ask({ model: 'no-such-model' })).status).toBe(404);
    await go('requests');
    const rows = page.getByTestId('request-row');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    const first = (await rows.first().locator('td').allTextContents()).slice(1);
    expect(first).toEqual(['127.0.0.1', '—', '/v1/chat/completions', 'no', '404 model_not_found', '—', '—', expect.stringMatching(/ms$/), '—', '—']);
    const stream = (await rows.nth(1).locator('td').allTextContents()).slice(1);
    expect(stream.slice(0, 5)).toEqual(['127.0.0.1', 'qwen2.5-7b-instruct', '/v1/chat/completions', 'yes', '200']);
    expect(stream[6]).toMatch(/^\d+ ms$/); // TTFT
    expect(stream[8]).toMatch(/^\d+ \/ 16$/);
    // The simulator decodes at 50 tok/s.
    expect(Number(stream[9])).toBeGreaterThan(20);
    await page.getByTestId('requests-status').selectOption('4xx');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-status')).toBe('404');
    await shot('requests');
    await page.getByTestId('requests-status').selectOption('');
  });

  it("is keyboard reachable: Alt+N changes screens and Tab reaches a model's Switch button", async () => {
    await page.keyboard.press('Alt+1');
    await page.waitForFunction(() => location.hash === '#models');
    await page.getByTestId('model-row-qwen2.5-7b-instruct').waitFor();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'switch-mistral-large-2411-awq');
    }
    expect(reached).toBe(true);
  });

  it('fits a small X-forwarded window in the dark theme', async () => {
    const small = await browser.context.newPage();
    try {
      await small.setViewportSize({ width: 800, height: 500 });
      await small.emulateMedia({ colorScheme: 'dark' });
      await small.goto(`${server.url}/ui/#switch`);
      await small.getByTestId('slot-status').waitFor();
      // Nothing wider than the window: no horizontal scrolling of the whole page.
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
      await small.screenshot({ path: join(SCREENSHOTS, 'small-dark-switch.png') });
      await small.goto(`${server.url}/ui/#gpus`);
      await small.getByTestId('gpu-card-0').waitFor();
      expect(await small.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
      await small.screenshot({ path: join(SCREENSHOTS, 'small-dark-gpus.png') });
    } finally {
      await small.close();
    }
  });

  it('puts the warm 3B to sleep when the 7B takes GPU 0, and a switch back wakes it without a load', async () => {
    await go('models');
    const status = (id: string) => page.locator(`[data-testid="model-row-${id}"] [data-status]`).first().getAttribute('data-status');
    await page.getByTestId('switch-qwen2.5-3b-instruct').click();
    await expect.poll(() => status('qwen2.5-3b-instruct'), { timeout: 60_000 }).toBe('loaded');
    await page.getByTestId('switch-qwen2.5-7b-instruct').click();
    await expect.poll(() => status('qwen2.5-7b-instruct'), { timeout: 60_000 }).toBe('loaded');
    expect(await status('qwen2.5-3b-instruct')).toBe('sleeping');
    await shot('models-sleeping');
    await page.getByTestId('switch-qwen2.5-3b-instruct').click();
    await expect.poll(() => status('qwen2.5-3b-instruct'), { timeout: 30_000 }).toBe('loaded');
    await go('switch');
    const woken = page.locator('[data-testid="swap-history"] [data-testid="swap-record"][data-action="wake"]');
    await expect.poll(() => woken.first().textContent(), { timeout: 10_000 }).toMatch(/woken[\s\S]*qwen2\.5-3b-instruct/);
    await shot('switch-woken');
  });

  it('raised no page errors', () => {
    // The CSP's report that zod's eval probe is blocked would show here; nothing else should.
    expect(browser.errors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});

const run = promisify(execFile);

/** A GPU's enforced power limit as the (fake) nvidia-smi reports it now, independent of the UI. */
async function enforcedLimit(server: DemoServer, index: number): Promise<number> {
  const { stdout } = await run(FAKE_NVIDIA_SMI_BIN, ['-i', String(index), '--query-gpu=power.limit', '--format=csv,noheader,nounits'], {
    env: { ...process.env, FAKE_NVIDIA_SMI_STATE: join(server.dir, 'nvidia-smi-state.json') },
  });
  return Math.round(Number(stdout.trim()));
}
