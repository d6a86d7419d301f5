import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { STATUS_CLOSE, STATUS_OPEN } from '../../electron/engine/router/status-text.js';
import { startRouterHost, startScriptedUpstream, type RouterHost, type ScriptedUpstream } from './support/router-host.js';

let host: RouterHost | undefined;
let upstream: ScriptedUpstream | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
  await upstream?.close();
  upstream = undefined;
});

function client(h: RouterHost, opts: { apiKey?: string; authToken?: string; headers?: Record<string, string> } = {}): Anthropic {
  const auth = opts.authToken ? { authToken: opts.authToken, apiKey: null } : { apiKey: opts.apiKey ?? 'sk-unused' };
  return new Anthropic({ baseURL: h.url, ...auth, maxRetries: 0, defaultHeaders: opts.headers ?? {} });
}

const ask = { max_tokens: 12, messages: [{ role: 'user' as const, content: 'What is the capital of France?' }] };
const weatherTool = { name: 'get_weather', description: 'The weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

function textOf(message: Anthropic.Message): string {
  return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

describe('router with the official Anthropic client', () => {
  it('non-streaming: waits for the switch and answers a message (text, stop_reason, usage, the model name asked for)', async () => {
    host = await startRouterHost([{ id: 'alpha', aliases: ['a'] }]);
    const message = await client(host).messages.create({ ...ask, model: 'a', system: 'Answer briefly.' });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'a', stop_reason: 'max_tokens', stop_sequence: null });
    expect(message.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(message.content).toHaveLength(1);
    expect(textOf(message).split(/\s+/).length).toBeGreaterThanOrEqual(3);
    expect(textOf(message)).not.toContain(STATUS_OPEN);
    expect(message.usage).toMatchObject({ output_tokens: 12 });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    // The request log and metrics see it like a chat request.
    await vi.waitFor(() => expect(host!.engine.requestLog({}).find((r) => r.route === '/v1/messages')).toMatchObject({ model: 'alpha', status: 200, stream: false, completionTokens: 12 }));
  });

  it('streams across a switch: message_start at once, the status as the first text block, then the answer block; the final message is assembled', async () => {
    host = await startRouterHost([{ id: 'alpha', shards: 3 }]);
    const stream = client(host).messages.stream({ ...ask, model: 'alpha' });
    const events: string[] = [];
    stream.on('streamEvent', (event) => events.push(event.type));
    const message = await stream.finalMessage();
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(message.content.map((b) => b.type)).toEqual(['text', 'text']);
    const [status, answer] = message.content as Anthropic.TextBlock[];
    expect(status!.text.startsWith(`${STATUS_OPEN}🔄 Switching to alpha…`)).toBe(true);
    expect(status!.text).toMatch(/⏳ Loading weights/);
    expect(status!.text).toMatch(new RegExp(`✅ Ready \\((\\d+m\\d\\ds|\\d+s)\\)\\n${STATUS_CLOSE}\\n$`));
    expect(answer!.text.trim().split(/\s+/).length).toBeGreaterThanOrEqual(3);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(12);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    // The model is ready now: no status block.
    const again = await client(host)
      .messages.stream({ ...ask, model: 'alpha' })
      .finalMessage();
    expect(again.content.map((b) => b.type)).toEqual(['text']);
    expect(textOf(again)).not.toContain(STATUS_OPEN);
    await vi.waitFor(() => expect(host!.engine.requestLog({}).filter((r) => r.route === '/v1/messages' && r.completionTokens === 12)).toHaveLength(2));
  });

  it('reasoning style (per-request header): the status is a thinking block before the answer', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const message = await client(host, { headers: { 'X-Switchboard-Loading': 'reasoning' } })
      .messages.stream({ ...ask, model: 'alpha' })
      .finalMessage();
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const thinking = message.content[0] as Anthropic.ThinkingBlock;
    expect(thinking.thinking).toMatch(/🔄 Switching to alpha…[\s\S]*✅ Ready/);
    expect(thinking.signature).toBe('');
    expect(textOf(message)).not.toContain('Switching');
  });

  it('comment style: nothing but the answer reaches the client', async () => {
    host = await startRouterHost([{ id: 'alpha' }], { loadingMessages: 'comment' });
    const res = await fetch(`${host.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ask, model: 'alpha', stream: true }) });
    const raw = await res.text();
    expect(raw).toMatch(/^event: message_start\n/);
    expect(raw).toMatch(/\n: 🔄 Switching to alpha…/);
    expect(raw.split('\n').filter((l) => l.startsWith('data:') && l.includes('Switching'))).toEqual([]);
    expect(raw.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });

  it('tool use round trip with a server launched with --tool-call-parser: tool_use out, tool_result in, streaming and not', async () => {
    host = await startRouterHost([{ id: 'alpha', extraArgs: ['--tool-call-parser', 'llama3'] }]);
    const c = client(host);
    const question = { role: 'user' as const, content: 'What is the weather in Paris? Use get_weather.' };
    const first = await c.messages.create({ model: 'alpha', max_tokens: 64, tools: [weatherTool], messages: [question] });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(call.id).toMatch(/^call_/);
    const second = await c.messages.create({
      model: 'alpha',
      max_tokens: 12,
      tools: [weatherTool],
      messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18 °C and sunny' }] }],
    });
    expect(second.stop_reason).toBe('max_tokens');
    expect(textOf(second).length).toBeGreaterThan(0);
    // Streamed: the call's arguments arrive as input_json_delta pieces and the SDK assembles the input.
    const streamed = await c.messages.stream({ model: 'alpha', max_tokens: 64, tools: [weatherTool], messages: [question] }).finalMessage();
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^call_/), name: 'get_weather', input: { city: 'Paris' } }]);
    // tool_choice any forces a call even when the prompt names no tool.
    const forced = await c.messages.create({ model: 'alpha', max_tokens: 64, tools: [weatherTool], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'Hello' }] });
    expect(forced.stop_reason).toBe('tool_use');
  });

  it('stop_sequences: a matched sequence is stop_reason stop_sequence with the sequence, streaming and not', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const c = client(host);
    const free = textOf(await c.messages.create({ ...ask, model: 'alpha', max_tokens: 24 }));
    const words = free.split(/\s+/);
    const stop = ` ${words[3]}`;
    const before = free.slice(0, free.indexOf(stop));
    const message = await c.messages.create({ ...ask, model: 'alpha', max_tokens: 24, stop_sequences: [stop] });
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: stop });
    expect(textOf(message)).toBe(before);
    const streamed = await c.messages.stream({ ...ask, model: 'alpha', max_tokens: 24, stop_sequences: [stop] }).finalMessage();
    expect(streamed).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: stop });
    expect(textOf(streamed)).toBe(before);
  });

  it("errors come in Anthropic's shape with the SDK's classes: unknown model 404, missing max_tokens 400, wrong key 401", async () => {
    host = await startRouterHost([{ id: 'alpha' }], { apiKeys: ['sk-right'] });
    const good = client(host, { apiKey: 'sk-right' });
    const unknown = await good.messages.create({ ...ask, model: 'nope' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect((unknown as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringContaining("The model 'nope' does not exist") },
    });
    const noMax = await good.messages.create({ model: 'alpha', messages: ask.messages } as never).catch((e: unknown) => e);
    expect(noMax).toBeInstanceOf(Anthropic.BadRequestError);
    expect((noMax as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } });
    const badKey = await client(host, { apiKey: 'sk-wrong' })
      .messages.create({ ...ask, model: 'alpha' })
      .catch((e: unknown) => e);
    expect(badKey).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((badKey as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    // Not JSON, and a block the API does not know.
    const raw = await fetch(`${host.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-right' }, body: '{nope' });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('not valid JSON') } });
    const block = await good.messages
      .create({ ...ask, model: 'alpha', messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] }] })
      .catch((e: unknown) => e);
    expect(block).toBeInstanceOf(Anthropic.BadRequestError);
    expect(await host.sim.launches()).toEqual([]);
    // The key works as x-api-key (apiKey) and as a Bearer token (authToken).
    expect((await good.messages.create({ ...ask, model: 'alpha' })).type).toBe('message');
    expect((await client(host, { authToken: 'sk-right' }).messages.create({ ...ask, model: 'alpha' })).type).toBe('message');
  });

  it('a failed switch: the stream shows the last status line and ends with an error event; non-streaming gets 503 api_error', async () => {
    host = await startRouterHost([{ id: 'oomy', tp: 2, env: { SGLANG_SIM_FAIL: 'oom-weights' } }]);
    const c = client(host);
    const stream = c.messages.stream({ ...ask, model: 'oomy' });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const streamed = await stream.finalMessage().catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(Anthropic.APIError);
    expect((streamed as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('CUDA out of memory while loading weights') },
    });
    expect(texts.join('')).toContain('❌ CUDA out of memory while loading weights');
    const waited = await c.messages.create({ ...ask, model: 'oomy' }).catch((e: unknown) => e);
    expect(waited).toBeInstanceOf(Anthropic.InternalServerError);
    expect((waited as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    expect((waited as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'api_error', message: expect.stringContaining('lower memFractionStatic or contextLength') } });
    expect(host.engine.state().requests).toEqual([]);
  });

  it('translates the request for the model server: system, tools, tool_choice, images, tool results first; status text and thinking sent back are dropped', async () => {
    upstream = await startScriptedUpstream((_body, res) => {
      const completion = {
        id: 'abc123',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Done.', reasoning_content: 'Thought.', tool_calls: null }, finish_reason: 'stop', matched_stop: 128009 }],
        usage: { prompt_tokens: 40, completion_tokens: 3, total_tokens: 43, prompt_tokens_details: { cached_tokens: 10 } },
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(completion));
    });
    host = await startRouterHost([], { extraModels: [{ id: 'remote', upstream: upstream.url }] });
    const statusText = `${STATUS_OPEN}🔄 Switching to remote…\n✅ Ready (3s)${STATUS_CLOSE}\n`;
    const message = await client(host).messages.create({
      model: 'remote',
      max_tokens: 50,
      system: [{ type: 'text', text: 'Be brief.' }],
      // SDK 1.x's types no longer list the sampling fields; older clients (and Claude Code) still send them.
      ...({ temperature: 0.2, top_k: 5 } as object),
      stop_sequences: ['END'],
      tools: [weatherTool],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: `${STATUS_OPEN}🔄 Switching…${STATUS_CLOSE}`, signature: '' },
            { type: 'text', text: statusText },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: '18 C' }] },
            { type: 'text', text: 'And tomorrow?' },
          ],
        },
      ],
    });
    expect(upstream.requests[0]!.path).toBe('/v1/chat/completions');
    expect(upstream.requests[0]!.body).toEqual({
      model: 'remote',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '18 C' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      max_tokens: 50,
      stop: ['END'],
      temperature: 0.2,
      top_k: 5,
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: weatherTool.input_schema } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(message).toMatchObject({
      id: 'msg_abc123',
      model: 'remote',
      content: [
        { type: 'thinking', thinking: 'Thought.', signature: '' },
        { type: 'text', text: 'Done.' },
      ],
      stop_reason: 'end_turn',
      usage: { input_tokens: 30, cache_read_input_tokens: 10, output_tokens: 3 },
    });
  });

  it('count_tokens loads the model like a request and counts with its tokenizer', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const counted = await client(host).messages.countTokens({ model: 'alpha', messages: ask.messages });
    // The simulator's tokenizer: about four characters per token, plus the BOS token.
    expect(counted).toEqual({ input_tokens: 9 });
    expect(await host.sim.launches()).toHaveLength(1);
  });
});
