// The simulator's tool calls (--tool-call-parser) and /v1/tokenize, in SGLang 0.5.3.post1's shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeModelDir, readSse, removeTempDirs, startSim, waitForStatus, type SimProcess } from './sim-harness.js';

let sim: SimProcess;
let base = '';

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  sim = startSim(['--model-path', makeModelDir(), '--port', String(port), '--served-model-name', 'tiny-llama', '--tool-call-parser', 'llama3', '--disable-cuda-graph']);
  await waitForStatus(`${base}/health`, 200);
});

afterAll(() => {
  sim?.killGroup();
  removeTempDirs();
});

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const tools = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
];
const askWeather = [{ role: 'user', content: 'Call get_weather for Paris, please.' }];

describe('tool calls with --tool-call-parser', () => {
  it('non-streaming: tool_calls with the full arguments, content null, finish tool_calls, matched_stop null', async () => {
    const res = await post('/v1/chat/completions', { model: 'm', messages: askWeather, tools, max_tokens: 64 });
    const body = (await res.json()) as { choices: { message: Record<string, unknown>; finish_reason: string; matched_stop: unknown }[]; usage: { completion_tokens: number } };
    const choice = body.choices[0]!;
    expect(choice.message).toEqual({
      role: 'assistant',
      content: null,
      reasoning_content: null,
      tool_calls: [{ id: expect.stringMatching(/^call_[0-9a-f]{24}$/), index: -1, type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris", "days": 1}' } }],
    });
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.matched_stop).toBeNull();
    expect(body.usage.completion_tokens).toBeGreaterThan(2);
  });

  it('streaming: the id and name once with arguments "", then argument pieces with null id and name; finish tool_calls keeps matched_stop', async () => {
    const res = await post('/v1/chat/completions', { model: 'm', messages: askWeather, tools, max_tokens: 64, stream: true });
    const events = (await readSse(res)).slice(0, -1).map((e) => JSON.parse(e) as { choices: { delta: { tool_calls: unknown[] | null }; finish_reason: string | null; matched_stop: unknown }[] });
    const calls = events.flatMap((e) => e.choices[0]?.delta.tool_calls ?? []) as { id: string | null; index: number; type: string; function: { name: string | null; arguments: string } }[];
    expect(calls[0]).toEqual({ id: expect.stringMatching(/^call_/), index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(calls.slice(1).every((c) => c.id === null && c.function.name === null && c.index === 0)).toBe(true);
    expect(calls.map((c) => c.function.arguments).join('')).toBe('{"city": "Paris", "days": 1}');
    const finish = events.at(-1)!.choices[0]!;
    expect(finish).toMatchObject({ finish_reason: 'tool_calls', matched_stop: 128009 });
  });

  it('answers in text when no tool is named, with tool_choice none, and for a later turn with the tool result', async () => {
    const plain = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hello there' }], tools, max_tokens: 8 });
    expect(((await plain.json()) as { choices: { message: { tool_calls: unknown } }[] }).choices[0]!.message.tool_calls).toBeNull();
    const none = await post('/v1/chat/completions', { model: 'm', messages: askWeather, tools, tool_choice: 'none', max_tokens: 8 });
    expect(((await none.json()) as { choices: { finish_reason: string }[] }).choices[0]!.finish_reason).toBe('length');
    const after = [
      ...askWeather,
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '18 C' },
    ];
    const next = await post('/v1/chat/completions', { model: 'm', messages: after, tools, max_tokens: 8 });
    expect(((await next.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content.length).toBeGreaterThan(0);
  });

  it('required and named tool_choice force a call (index 0); a named tool that is not offered is a 400', async () => {
    const named = await post('/v1/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      max_tokens: 64,
    });
    const call = ((await named.json()) as { choices: { message: { tool_calls: { index: number; function: { name: string; arguments: string } }[] } }[] }).choices[0]!.message.tool_calls[0]!;
    expect(call).toMatchObject({ index: 0, function: { name: 'get_time', arguments: '{}' } });
    const missing = await post('/v1/chat/completions', { model: 'm', messages: askWeather, tools, tool_choice: { type: 'function', function: { name: 'nope' } } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ object: 'error', message: "Tool 'nope' not found in tools list.", type: 'BadRequestError', code: 400 });
  });
});

describe('/v1/tokenize', () => {
  it('counts a string with the BOS token, a list per item, and refuses other prompts with a 400', async () => {
    const one = (await (await post('/v1/tokenize', { model: 'm', prompt: 'What is the capital of France?' })).json()) as { tokens: number[]; count: number; max_model_len: number };
    expect(Object.keys(one)).toEqual(['tokens', 'count', 'max_model_len']);
    expect(one.count).toBe(9);
    expect(one.tokens[0]).toBe(128000);
    const bare = (await (await post('/tokenize', { prompt: 'What is the capital of France?', add_special_tokens: false })).json()) as { count: number };
    expect(bare.count).toBe(8);
    const list = (await (await post('/v1/tokenize', { prompt: ['a', 'abcdefgh'] })).json()) as { count: number[] };
    expect(list.count).toEqual([2, 3]);
    const bad = await post('/v1/tokenize', { prompt: 5 });
    expect(bad.status).toBe(400);
  });
});
