import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS_CLOSE, STATUS_OPEN } from '../../electron/engine/router/status-text.js';
import { readSseEvents, startRouterHost, type RouterHost } from './support/router-host.js';

let host: RouterHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

function client(h: RouterHost, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-unused', maxRetries: 0, defaultHeaders: headers });
}

const ask = { messages: [{ role: 'user' as const, content: 'What is the capital of France?' }], max_tokens: 12 };

describe('router with the official openai client', () => {
  it('lists every catalog model once with its status and context length, without loading anything; an alias still names it', async () => {
    host = await startRouterHost([{ id: 'alpha', aliases: ['a'] }, { id: 'beta' }], {
      patch: (input) => {
        input.models = input.models!.map((m) => (m.id === 'alpha' ? { ...m, contextLength: 8192 } : m));
      },
    });
    const page = await client(host).models.list();
    const cards = page.data as unknown as { id: string; status: { value: string }; alias_of?: string; meta?: { n_ctx: number } }[];
    // One entry per model (Open WebUI shows each entry in its picker): aliases are not listed by default.
    expect(cards.map((c) => c.id)).toEqual(['alpha', 'beta']);
    expect(cards.map((c) => c.status.value)).toEqual(['unloaded', 'unloaded']);
    expect(cards.map((c) => c.meta)).toEqual([{ n_ctx: 8192 }, undefined]);
    // The alias is retrievable and usable all the same.
    const byAlias = (await client(host).models.retrieve('a')) as unknown as { id: string; alias_of?: string };
    expect(byAlias).toMatchObject({ id: 'a', alias_of: 'alpha' });
    expect(await host.sim.launches()).toEqual([]);
  });

  it('lists aliases as entries of their own with router.listAliases', async () => {
    host = await startRouterHost([{ id: 'alpha', aliases: ['a'] }, { id: 'beta' }], {
      patch: (input) => {
        input.router = { ...input.router, listAliases: true };
      },
    });
    const cards = (await client(host).models.list()).data as unknown as { id: string; alias_of?: string }[];
    expect(cards.map((c) => [c.id, c.alias_of])).toEqual([
      ['alpha', undefined],
      ['a', 'alpha'],
      ['beta', undefined],
    ]);
  });

  it('streams status text for a cold model, then the model tokens, then usage (content style)', async () => {
    host = await startRouterHost([{ id: 'alpha', aliases: ['a'], shards: 3 }]);
    const stream = await client(host).chat.completions.create({ ...ask, model: 'a', stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.startsWith(`${STATUS_OPEN}🔄 Switching to alpha…`)).toBe(true);
    expect(text).toMatch(/⏳ Loading weights/);
    const close = text.indexOf(STATUS_CLOSE);
    expect(text.slice(0, close)).toMatch(/✅ Ready \((\d+m\d\ds|\d+s)\)\n$/);
    const answer = text.slice(close + STATUS_CLOSE.length).trim();
    expect(answer.split(/\s+/).length).toBeGreaterThanOrEqual(3);
    expect(usage).toMatchObject({ completion_tokens: 12 });
    expect(usage!.prompt_tokens).toBeGreaterThan(0);
    // A second request to the now-ready model gets no status text at all.
    const again = await client(host).chat.completions.create({ ...ask, model: 'alpha', stream: true });
    let second = '';
    for await (const chunk of again) second += chunk.choices[0]?.delta?.content ?? '';
    expect(second).not.toContain(STATUS_OPEN);
    expect(second.length).toBeGreaterThan(0);
  });

  it('puts the status into reasoning_content in reasoning style (per-request header)', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const stream = await client(host, { 'X-Switchboard-Loading': 'reasoning' }).chat.completions.create({ ...ask, model: 'alpha', stream: true });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string | null } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    expect(reasoning).toMatch(/🔄 Switching to alpha…[\s\S]*✅ Ready/);
    expect(content).not.toContain('Switching');
    expect(content.trim().length).toBeGreaterThan(0);
  });

  it('sends only SSE comments in comment style: the client sees just the model', async () => {
    host = await startRouterHost([{ id: 'alpha' }], { loadingMessages: 'comment' });
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask, model: 'alpha', stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { data, comments } = await readSseEvents(res);
    expect(comments[0]).toMatch(/^🔄 Switching to alpha…/);
    expect(comments.some((c) => c.startsWith('✅ Ready'))).toBe(true);
    expect(data.filter((d) => d !== '[DONE]').every((d) => !d.includes('Switching'))).toBe(true);
  });

  it('a non-streaming request during a switch waits and gets the answer', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const completion = await client(host).chat.completions.create({ ...ask, model: 'alpha' });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.choices[0]!.message.content).not.toContain(STATUS_OPEN);
    expect(completion.usage!.completion_tokens).toBe(12);
  });

  it('raw SSE: every event is valid JSON, [DONE] comes last and nothing follows it', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const res = await fetch(`${host.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'alpha', prompt: 'Once upon a time', max_tokens: 8, stream: true, stream_options: { include_usage: true } }),
    });
    const { data, raw } = await readSseEvents(res);
    expect(data.at(-1)).toBe('[DONE]');
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { text: string }[]; usage?: unknown });
    expect(events.every((e) => e.object === 'text_completion')).toBe(true);
    expect(events[0]!.choices[0]!.text.startsWith(STATUS_OPEN)).toBe(true);
    expect(events.at(-1)!.usage).toMatchObject({ completion_tokens: 8 });
  });

  it('32 concurrent streams split across two models: the minimum of switches, every request completes', async () => {
    host = await startRouterHost([{ id: 'alpha' }, { id: 'beta' }]);
    const c = client(host);
    const one = async (model: string) => {
      const stream = await c.chat.completions.create({ ...ask, model, max_tokens: 4, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text.slice(text.lastIndexOf(STATUS_CLOSE) + 1).trim();
    };
    const answers = await Promise.all(Array.from({ length: 32 }, (_, i) => one(i % 2 ? 'beta' : 'alpha')));
    expect(answers.every((a) => a.split(/\s+/).filter(Boolean).length >= 1)).toBe(true);
    const launched = (await host.sim.launches()).map((l) => l.argv[l.argv.indexOf('--served-model-name') + 1]);
    expect(launched).toEqual(['alpha', 'beta']);
    expect(host.engine.state().requests).toEqual([]);
  });
});
