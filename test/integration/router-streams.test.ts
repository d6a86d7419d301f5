import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS_CLOSE, STATUS_OPEN } from '../../electron/engine/router/status-text.js';
import { waitFor } from './support/sim-host.js';
import { readSseEvents, startRouterHost, startScriptedUpstream, type RouterHost, type ScriptedUpstream } from './support/router-host.js';

/** SGLang's own stream transcript (reference), without the documentation comment lines. */
const SAMPLE = readFileSync(fileURLToPath(new URL('../fixtures/sglang-stream-sample.txt', import.meta.url)), 'utf8')
  .split('\n')
  .filter((l) => !l.startsWith(':'))
  .join('\n')
  .replace(/^\n+/, '');

let host: RouterHost | undefined;
let upstream: ScriptedUpstream | undefined;
afterEach(async () => {
  await host?.close();
  await upstream?.close();
  host = undefined;
  upstream = undefined;
});

const sse = (res: import('node:http').ServerResponse, body: string) => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  res.end(body);
};

function cumulativeChat(words: string[]): string {
  let text = '';
  const events = words.map((w) => {
    text += w;
    return `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'old', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
  });
  const finish = `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'old', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;
  return [...events, finish, 'data: [DONE]\n\n'].join('');
}

describe('router stream handling', () => {
  it('passes a true delta stream through byte for byte', async () => {
    upstream = await startScriptedUpstream((_body, res) => sse(res, SAMPLE));
    host = await startRouterHost([], { extraModels: [{ id: 'remote', upstream: upstream.url }] });
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'remote', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(await res.text()).toBe(SAMPLE);
  });

  it('turns a cumulative upstream into deltas the openai client can concatenate', async () => {
    upstream = await startScriptedUpstream((_body, res) => sse(res, cumulativeChat(['The', ' capital', ' of', ' France', ' is', ' Paris', '.'])));
    host = await startRouterHost([], { extraModels: [{ id: 'old-router', upstream: upstream.url }] });
    const c = new OpenAI({ baseURL: `${host.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const pieces: string[] = [];
    for await (const chunk of await c.chat.completions.create({ model: 'old-router', stream: true, messages: [{ role: 'user', content: 'hi' }] })) {
      if (chunk.choices[0]?.delta?.content) pieces.push(chunk.choices[0].delta.content);
    }
    expect(pieces).toEqual(['The', ' capital', ' of', ' France', ' is', ' Paris', '.']);
  });

  it('strips its own status text from assistant turns of a following request, and injects sampler defaults without overriding', async () => {
    upstream = await startScriptedUpstream((_body, res) => sse(res, SAMPLE));
    host = await startRouterHost([{ id: 'alpha' }], {
      extraModels: [{ id: 'remote', upstream: upstream.url }],
      sampling: { alpha: { temperature: 0.7, top_p: 0.9 }, remote: { temperature: 0.3, top_k: 20 } },
    });
    const c = new OpenAI({ baseURL: `${host.url}/v1`, apiKey: 'x', maxRetries: 0 });
    let first = '';
    for await (const chunk of await c.chat.completions.create({ model: 'alpha', stream: true, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })) {
      first += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(first).toContain(STATUS_OPEN);
    const answer = first.slice(first.indexOf(STATUS_CLOSE) + STATUS_CLOSE.length).trim();
    // Open WebUI sends the whole stored turn back, status text included.
    const stream = await c.chat.completions.create({
      model: 'remote',
      stream: true,
      temperature: 0,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: first },
        { role: 'user', content: 'and again' },
      ],
    });
    for await (const _ of stream) void _;
    const sent = upstream.requests[0]!.body as { messages: { role: string; content: string }[]; temperature: number; top_k: number };
    expect(sent.messages[1]).toEqual({ role: 'assistant', content: answer });
    expect(sent.messages[0]).toEqual({ role: 'user', content: 'hi' });
    expect(sent.temperature).toBe(0);
    expect(sent.top_k).toBe(20);
  });

  it('an upstream model is served at once, never switched, even while the slot loads another model', async () => {
    upstream = await startScriptedUpstream((_body, res) => sse(res, SAMPLE));
    host = await startRouterHost([{ id: 'alpha', shards: 6 }], { extraModels: [{ id: 'remote', upstream: upstream.url }] });
    const loading = host.engine.ensureReady('alpha', 'manual');
    await waitFor(() => host!.engine.state().slots[0]!.status === 'loading', 'alpha loading');
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'remote', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(await res.text()).toBe(SAMPLE);
    expect(host.engine.state().slots[0]!.status).toBe('loading');
    expect(host.engine.state().models.find((m) => m.id === 'remote')).toMatchObject({ kind: 'upstream', status: 'loaded' });
    await loading;
  });

  it('a switch waits for the in-flight stream of the current model to finish (drain), and the queue is visible in /api/state', async () => {
    host = await startRouterHost([{ id: 'alpha' }, { id: 'beta' }], { tokensPerS: 40 });
    await host.engine.ensureReady('alpha', 'manual');
    const long = fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'alpha', stream: true, max_tokens: 30, messages: [{ role: 'user', content: 'tell me' }] }),
    });
    const longRes = await long;
    const reader = longRes.body!.getReader();
    await reader.read();
    const switching = fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchboard-loading': 'comment' },
      body: JSON.stringify({ model: 'beta', stream: true, max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await waitFor(() => host!.engine.state().slots[0]!.draining === true, 'the switch to drain alpha');
    const state = (await (await fetch(`${host.url}/api/state`, { headers: host.adminHeaders })).json()) as import('../../shared/engine-state.js').EngineState;
    expect(state.requests).toMatchObject([
      { modelId: 'beta', state: 'waiting', position: 1, stream: true },
      { modelId: 'alpha', state: 'active', stream: true },
    ]);
    expect(state.slots[0]).toMatchObject({ status: 'ready', modelId: 'alpha', draining: true, pending: { modelId: 'beta', waiters: 1 }, queue: [] });
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain('"finish_reason":"length"');
    expect(rest).not.toContain('"error"');
    const { data } = await readSseEvents(await switching);
    expect(data.at(-1)).toBe('[DONE]');
    expect(host.engine.state().activeModel).toBe('beta');
  });
});
