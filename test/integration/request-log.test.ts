import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RequestRecord } from '../../shared/request-log.js';
import { main as cliMain } from '../../electron/cli/main.js';
import { openEngineSession } from '../../electron/cli/engine-session.js';
import { startRouterHost, type RouterHost } from './support/router-host.js';

// The request log end to end: requests through the router with the official openai client (a cold
// model that is switched to, a stream with usage, one without, an unknown model), then the log as
// `requests.list` (over /api/ws, as the CLI and UI get it), GET /api/requests, `switchboard requests`
// and `<stateDir>/requests.jsonl`.

let host: RouterHost | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await host?.close();
  host = undefined;
});

const ask = { messages: [{ role: 'user' as const, content: 'What is the capital of France?' }], max_tokens: 12 };

describe('request log', () => {
  it('records every router request with client, stream, waited, TTFT, tokens, status and cause', async () => {
    host = await startRouterHost([{ id: 'alpha', aliases: ['a'], shards: 2 }, { id: 'beta' }], { tokensPerS: 200 });
    const openai = new OpenAI({ baseURL: `${host.url}/v1`, apiKey: 'sk-unused', maxRetries: 0 });

    // 1. Non-streaming to a cold model: waits for the switch, then the JSON answer with usage.
    const answer = await openai.chat.completions.create({ ...ask, model: 'a' });
    expect(answer.usage?.completion_tokens).toBe(12);
    // 2. A stream with include_usage to the model now serving: tokens from the last chunk.
    const stream = await openai.chat.completions.create({ ...ask, model: 'alpha', stream: true, stream_options: { include_usage: true } });
    let streamed: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) streamed = chunk.usage;
    expect(streamed?.completion_tokens).toBe(12);
    // 3. A stream without usage: no tokens recorded.
    for await (const chunk of await openai.chat.completions.create({ ...ask, model: 'alpha', stream: true })) void chunk;
    // 4. An unknown model.
    await expect(openai.chat.completions.create({ ...ask, model: 'nope' })).rejects.toMatchObject({ status: 404 });

    await vi.waitFor(() => expect(host!.engine.requestLog({}).length).toBe(4));

    // requests.list over the WebSocket, as the CLI and the UI call it.
    const session = await openEngineSession({ url: host.url, adminKey: host.adminToken });
    let records: RequestRecord[];
    try {
      records = await session.api['requests.list']({});
      expect(await session.api['requests.list']({ status: '4xx' })).toHaveLength(1);
      expect((await session.api['requests.list']({ model: 'a' })).map((r) => r.model)).toEqual(['alpha', 'alpha', 'alpha']);
      expect(await session.api['requests.list']({ limit: 2 })).toHaveLength(2);
    } finally {
      session.close();
    }
    const [unknown, plain, withUsage, cold] = records;
    expect(unknown).toMatchObject({
      route: '/v1/chat/completions',
      model: null,
      status: 404,
      error: 'model_not_found',
      stream: false,
      waitedMs: null,
      ttftMs: null,
      promptTokens: null,
      completionTokens: null,
    });
    expect(cold).toMatchObject({ model: 'alpha', status: 200, error: null, stream: false, client: '127.0.0.1', completionTokens: 12 });
    expect(cold!.promptTokens).toBeGreaterThan(0);
    // The cold request waited for the load; its first answer byte came after that, within its duration.
    expect(cold!.waitedMs).toBeGreaterThan(0);
    expect(cold!.ttftMs).toBeGreaterThanOrEqual(cold!.waitedMs!);
    expect(cold!.durationMs).toBeGreaterThanOrEqual(cold!.ttftMs!);
    expect(withUsage).toMatchObject({ model: 'alpha', status: 200, stream: true, completionTokens: 12, error: null });
    expect(withUsage!.promptTokens).toBeGreaterThan(0);
    expect(withUsage!.waitedMs).toBeLessThan(cold!.waitedMs!);
    expect(withUsage!.ttftMs).toBeGreaterThan(0);
    // 12 tokens at 200 tok/s: the stream lasts past its first token.
    expect(withUsage!.durationMs).toBeGreaterThan(withUsage!.ttftMs!);
    expect(plain).toMatchObject({ model: 'alpha', status: 200, stream: true, promptTokens: null, completionTokens: null });
    expect(records.map((r) => r.atMs)).toEqual([...records.map((r) => r.atMs)].sort((x, y) => y - x));

    // GET /api/requests: admin-protected, filters in the query.
    expect((await fetch(`${host.url}/api/requests`)).status).toBe(401);
    const res = await fetch(`${host.url}/api/requests?model=alpha&status=2xx&since=10m&limit=10`, { headers: host.adminHeaders });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { requests: RequestRecord[] };
    expect(body.requests).toEqual([plain, withUsage, cold]);
    expect((await fetch(`${host.url}/api/requests?status=ok`, { headers: host.adminHeaders })).status).toBe(400);

    // switchboard requests: the table, and --json.
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    expect(await cliMain(['requests', '--url', host.url, '--admin-key', host.adminToken, '--since', '10m'])).toBe(0);
    const table = printed.join('\n').split('\n');
    expect(table[0]).toMatch(/^TIME +CLIENT +MODEL +ROUTE +STREAM +STATUS +WAITED +TTFT +DURATION +TOKENS IN\/OUT +TOK\/S$/);
    expect(table).toHaveLength(5);
    expect(table[1]).toMatch(/127\.0\.0\.1 +- +\/v1\/chat\/completions +no +404 model_not_found/);
    expect(table[3]).toMatch(/alpha +\/v1\/chat\/completions +yes +200 .* \d+\/12 +\d+\.\d$/);
    printed.length = 0;
    expect(await cliMain(['requests', '--url', host.url, '--admin-key', host.adminToken, '--model', 'alpha', '--limit', '1', '--json'])).toBe(0);
    expect(JSON.parse(printed.join('\n'))).toEqual([plain]);

    // The JSONL file in the state dir holds them, oldest first.
    await host.engine.close();
    const lines = (await readFile(join(host.sim.dir, 'requests.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as RequestRecord)).toEqual([...records].reverse());
  });
});
