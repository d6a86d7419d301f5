import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissingReason, launchChromium, type Browser } from './support/chromium.js';
import { startDemoServer, type DemoServer } from './support/demo-server.js';

// A chat page on an origin router.corsOrigins lists calls the router from the browser with the
// official SDKs (`openai`, `@anthropic-ai/sdk`, bundled for the browser as such an app would): their
// preflights ask for headers of their own (`x-stainless-*`), which the router has to allow. Real
// Chromium enforces CORS; the demo host loads the model on the first request.

const skipReason = chromiumMissingReason();
if (skipReason) console.warn(`[e2e browser SDKs] skipped: ${skipReason}`);

const MODEL = 'qwen2.5-3b-instruct';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Both SDKs as one browser script: `window.SDKS`. */
async function bundleSdks(): Promise<string> {
  const result = await build({
    stdin: { contents: "import OpenAI from 'openai'; import Anthropic from '@anthropic-ai/sdk'; window.SDKS = { OpenAI, Anthropic };", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** The chat app's origin: a page and its script. */
async function startPageServer(script: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/sdks.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><meta charset="utf-8"><title>chat</title><script src="/sdks.js"></script>');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface SdkWindow {
  SDKS: {
    OpenAI: new (opts: Record<string, unknown>) => {
      chat: { completions: { create(body: Record<string, unknown>): Promise<AsyncIterable<{ choices: { delta: { content?: string | null } }[] }>> } };
      models: { list(): Promise<{ data: { id: string }[] }> };
    };
    Anthropic: new (opts: Record<string, unknown>) => { messages: { create(body: Record<string, unknown>): Promise<{ content: { type: string; text?: string }[]; stop_reason: string }> } };
  };
}

describe.skipIf(skipReason !== null)('the official SDKs in a browser page of a listed origin', () => {
  let server: DemoServer;
  let page: { origin: string; close(): Promise<void> };
  let browser: Browser;

  beforeAll(async () => {
    page = await startPageServer(await bundleSdks());
    server = await startDemoServer({ timeScale: 0.02, router: { corsOrigins: [page.origin] } });
    browser = await launchChromium();
    await browser.page.goto(`${page.origin}/`);
    await browser.page.waitForFunction(() => 'SDKS' in window);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await page?.close();
  });

  it('openai: lists the models and streams a chat across the load', async () => {
    const result = await browser.page.evaluate(
      async ({ engine, model }) => {
        const { OpenAI } = (window as unknown as SdkWindow).SDKS;
        const client = new OpenAI({ baseURL: `${engine}/v1`, apiKey: 'unused', dangerouslyAllowBrowser: true, maxRetries: 0 });
        const models = (await client.models.list()).data.map((m) => m.id);
        let text = '';
        for await (const chunk of await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hi.' }], stream: true, max_tokens: 8 })) {
          text += chunk.choices[0]?.delta.content ?? '';
        }
        return { models, text };
      },
      { engine: server.url, model: MODEL },
    );
    expect(result.models).toContain(MODEL);
    expect(result.text.length).toBeGreaterThan(0);
  });

  it('@anthropic-ai/sdk: a message', async () => {
    const message = await browser.page.evaluate(
      async ({ engine, model }) => {
        const { Anthropic } = (window as unknown as SdkWindow).SDKS;
        const client = new Anthropic({ baseURL: engine, apiKey: 'unused', dangerouslyAllowBrowser: true, maxRetries: 0 });
        return client.messages.create({ model, max_tokens: 8, messages: [{ role: 'user', content: 'Say hi.' }] });
      },
      { engine: server.url, model: MODEL },
    );
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content.find((b) => b.type === 'text')?.text).toMatch(/\S/);
  });
});
