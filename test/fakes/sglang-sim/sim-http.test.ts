// The simulator's HTTP API against a ready server: exact OpenAI/SGLang layouts and auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeModelDir, readJson, readSse, removeTempDirs, startSim, waitForStatus, type SimProcess } from './sim-harness.js';

const API_KEY = 'sk-test';
const AUTH = { authorization: `Bearer ${API_KEY}` };
let sim: SimProcess;
let base = '';

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  sim = startSim([
    '--model-path',
    makeModelDir(),
    '--port',
    String(port),
    '--served-model-name',
    'tiny-llama',
    '--api-key',
    API_KEY,
    '--enable-metrics',
    '--disable-cuda-graph',
    '--decode-log-interval',
    '10',
  ]);
  await waitForStatus(`${base}/health`, 200);
});

afterAll(() => {
  sim?.killGroup();
  removeTempDirs();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH, ...headers }, body: JSON.stringify(body) });
}

const CHUNK_KEYS = ['id', 'object', 'created', 'model', 'choices', 'usage'];
const CHOICE_KEYS = ['index', 'delta', 'logprobs', 'finish_reason', 'matched_stop'];
const DELTA_KEYS = ['role', 'content', 'reasoning_content', 'tool_calls'];
const USAGE_KEYS = ['prompt_tokens', 'total_tokens', 'completion_tokens', 'prompt_tokens_details', 'reasoning_tokens'];

describe('/v1/chat/completions', () => {
  it('streams role chunk, one chunk per token, finish chunk, usage chunk and [DONE], in SGLang layout', async () => {
    const res = await post('/v1/chat/completions', {
      model: 'whatever-the-client-says',
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await readSse(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((payload) => {
      expect(JSON.stringify(JSON.parse(payload))).toBe(payload); // compact, keys as sent
      return JSON.parse(payload);
    });
    expect(chunks).toHaveLength(1 + 5 + 1 + 1);
    for (const chunk of chunks) {
      expect(Object.keys(chunk)).toEqual(CHUNK_KEYS);
      expect(chunk.id).toMatch(/^[0-9a-f]{32}$/);
      expect(chunk.id).toBe(chunks[0].id);
      expect(chunk.object).toBe('chat.completion.chunk');
      expect(chunk.model).toBe('whatever-the-client-says');
      for (const choice of chunk.choices) {
        expect(Object.keys(choice)).toEqual(CHOICE_KEYS);
        expect(Object.keys(choice.delta)).toEqual(DELTA_KEYS);
      }
    }
    const [role, ...rest] = chunks;
    expect(role.choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '', reasoning_content: null, tool_calls: null }, logprobs: null, finish_reason: null, matched_stop: null });
    const content = rest.slice(0, 5);
    for (const chunk of content) {
      expect(chunk.usage).toBeNull();
      expect(chunk.choices[0].delta.role).toBeNull();
      expect(chunk.choices[0].delta.content).toMatch(/^.+$/);
      expect(chunk.choices[0].finish_reason).toBeNull();
    }
    expect(rest[5].choices[0]).toEqual({ index: 0, delta: { role: null, content: null, reasoning_content: null, tool_calls: null }, logprobs: null, finish_reason: 'length', matched_stop: null });
    expect(rest[5].usage).toBeNull();
    const usage = rest[6];
    expect(usage.choices).toEqual([]);
    expect(Object.keys(usage.usage)).toEqual(USAGE_KEYS);
    expect(usage.usage).toMatchObject({ completion_tokens: 5, prompt_tokens_details: null, reasoning_tokens: 0 });
    expect(usage.usage.total_tokens).toBe(usage.usage.prompt_tokens + 5);
  });

  it('stops naturally with matched_stop 128009 and counts the EOS token; no usage chunk without include_usage', async () => {
    const res = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'Tell me something.' }], stream: true });
    const chunks = (await readSse(res)).slice(0, -1).map((payload) => JSON.parse(payload));
    const finish = chunks.at(-1);
    expect(finish.choices[0]).toMatchObject({ finish_reason: 'stop', matched_stop: 128009 });
    expect(finish.model).toBe('default');
    const contentChunks = chunks.length - 2;
    expect(contentChunks).toBeGreaterThanOrEqual(30);
    expect(contentChunks).toBeLessThanOrEqual(60);
  });

  it('answers non-streaming requests with the full chat.completion layout', async () => {
    const res = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 4 });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(Object.keys(body)).toEqual(['id', 'object', 'created', 'model', 'choices', 'usage', 'metadata']);
    expect(body).toMatchObject({ object: 'chat.completion', model: 'm', metadata: { weight_version: 'default' } });
    expect(Object.keys(body.choices[0])).toEqual(['index', 'message', 'logprobs', 'finish_reason', 'matched_stop']);
    expect(body.choices[0].message).toEqual({ role: 'assistant', content: expect.any(String), reasoning_content: null, tool_calls: null });
    expect(body.choices[0]).toMatchObject({ finish_reason: 'length', matched_stop: null });
    expect(Object.keys(body.usage)).toEqual(USAGE_KEYS);
    expect(body.usage.completion_tokens).toBe(4);
  });

  it('rejects empty messages and non-JSON bodies with 400 in the OpenAI error shape', async () => {
    const empty = await post('/v1/chat/completions', { messages: [] });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toBe('{"object":"error","message":"Messages cannot be empty.","type":"BadRequestError","param":null,"code":400}');
    const form = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { ...AUTH, 'content-type': 'text/plain' }, body: '{}' });
    expect(form.status).toBe(400);
    const body = await readJson(form);
    expect(Object.keys(body)).toEqual(['object', 'message', 'type', 'param', 'code']);
    expect(body.message).toContain("Unsupported Media Type: Only 'application/json' is allowed");
    expect(body.type).toBe('Bad Request');
  });
});

describe('/v1/completions', () => {
  it('streams without a role chunk, finish_reason on the last text chunk, usage chunk without null keys', async () => {
    const res = await post('/v1/completions', { model: 'c', prompt: 'Once upon a time', max_tokens: 4, stream: true, stream_options: { include_usage: true } });
    const events = await readSse(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((payload) => JSON.parse(payload));
    expect(chunks).toHaveLength(5);
    chunks.slice(0, 4).forEach((chunk, index) => {
      expect(Object.keys(chunk)).toEqual(CHUNK_KEYS);
      expect(chunk.object).toBe('text_completion');
      expect(Object.keys(chunk.choices[0])).toEqual(['index', 'text', 'logprobs', 'finish_reason', 'matched_stop']);
      expect(chunk.choices[0].finish_reason).toBe(index === 3 ? 'length' : null);
      expect(chunk.usage).toBeNull();
    });
    expect(events[4]).toBe(
      `{"id":"${chunks[0].id}","object":"text_completion","created":${chunks[4].created},"model":"c","choices":[],"usage":{"prompt_tokens":4,"total_tokens":8,"completion_tokens":4,"reasoning_tokens":0}}`,
    );
  });

  it('ends a natural stop with an empty-text chunk carrying finish_reason stop', async () => {
    const res = await post('/v1/completions', { prompt: 'x', max_tokens: 500, stream: true });
    const chunks = (await readSse(res)).slice(0, -1).map((payload) => JSON.parse(payload));
    expect(chunks.at(-1).choices[0]).toEqual({ index: 0, text: '', logprobs: null, finish_reason: 'stop', matched_stop: 128009 });
  });
});

describe('native /generate', () => {
  it('streams CUMULATIVE text, incremental output_ids and meta_info on every chunk', async () => {
    const res = await post('/generate', { text: 'The capital of France is', sampling_params: { max_new_tokens: 4 }, stream: true });
    const events = await readSse(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((payload) => JSON.parse(payload));
    expect(chunks).toHaveLength(4);
    chunks.forEach((chunk, index) => {
      expect(Object.keys(chunk)).toEqual(['text', 'output_ids', 'meta_info']);
      expect(chunk.output_ids).toHaveLength(1);
      if (index > 0) expect(chunk.text.startsWith(chunks[index - 1].text)).toBe(true);
      expect(chunk.meta_info.completion_tokens).toBe(index + 1);
      expect('e2e_latency' in chunk.meta_info).toBe(index === 3);
    });
    expect(chunks[3].meta_info.finish_reason).toEqual({ type: 'length', length: 4 });
    expect(Object.keys(chunks[3].meta_info)).toEqual(['id', 'finish_reason', 'prompt_tokens', 'weight_version', 'completion_tokens', 'cached_tokens', 'e2e_latency']);
  });

  it('answers non-streaming with the whole text and all output_ids', async () => {
    const body = await readJson(await post('/generate', { text: 'Hello', sampling_params: { max_new_tokens: 3 } }));
    expect(body.output_ids).toHaveLength(3);
    expect(body.meta_info).toMatchObject({ finish_reason: { type: 'length', length: 3 }, completion_tokens: 3, cached_tokens: 0 });
  });
});

describe('auth, info routes, errors', () => {
  it('needs the API key everywhere except /health* and /metrics', async () => {
    const denied = await fetch(`${base}/v1/models`);
    expect(denied.status).toBe(401);
    expect(await denied.text()).toBe('{"error":"Unauthorized"}');
    expect((await fetch(`${base}/nope`)).status).toBe(401);
    expect((await fetch(`${base}/health_generate`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('lists the served model and 404s unknown ones, paths and methods the FastAPI way', async () => {
    const list = await readJson(await fetch(`${base}/v1/models`, { headers: AUTH }));
    expect(list).toEqual({ object: 'list', data: [{ id: 'tiny-llama', object: 'model', created: expect.any(Number), owned_by: 'sglang', root: 'tiny-llama', max_model_len: 8192 }] });
    expect((await fetch(`${base}/v1/models/tiny-llama`, { headers: AUTH })).status).toBe(200);
    const missing = await fetch(`${base}/v1/models/other`, { headers: AUTH });
    expect(missing.status).toBe(404);
    expect(await readJson(missing)).toEqual({ error: { message: "The model 'other' does not exist", type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    const unknown = await fetch(`${base}/model_info`, { headers: AUTH });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('{"detail":"Not Found"}');
    const wrongMethod = await fetch(`${base}/v1/chat/completions`, { headers: AUTH });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.text()).toBe('{"detail":"Method Not Allowed"}');
    const info = await (await fetch(`${base}/get_model_info`, { headers: AUTH })).text();
    expect(info).toMatch(/^\{"model_path":"[^"]+","tokenizer_path":"[^"]+","is_generation":true,"preferred_sampling_params":null,"weight_version":"default"\}$/);
    const server = await readJson(await fetch(`${base}/get_server_info`, { headers: AUTH }));
    expect(server).toMatchObject({ tp_size: 1, served_model_name: 'tiny-llama', version: '0.5.3.post1', max_total_num_tokens: expect.any(Number) });
  });

  it('exposes Prometheus metrics including gen_throughput and token counters', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('# TYPE sglang:gen_throughput gauge\n');
    expect(text).toMatch(/^sglang:num_running_reqs\{engine_type="unified",model_name="tiny-llama",pp_rank="0",tp_rank="0"\} \d+\.\d+$/m);
    expect(Number(text.match(/^sglang:prompt_tokens_total\{model_name="tiny-llama"\} ([\d.e+]+)$/m)?.[1])).toBeGreaterThan(0);
    expect(Number(text.match(/^sglang:generation_tokens_total\{model_name="tiny-llama"\} ([\d.e+]+)$/m)?.[1])).toBeGreaterThan(0);
  });

  it('serves 256 concurrent streams and logs Prefill/Decode batch lines', async () => {
    const streams = Array.from({ length: 256 }, (_, index) => post('/v1/chat/completions', { messages: [{ role: 'user', content: `question ${index}` }], stream: true, max_tokens: 20 }).then(readSse));
    const results = await Promise.all(streams);
    for (const events of results) {
      expect(events.at(-1)).toBe('[DONE]');
      expect(events).toHaveLength(1 + 20 + 1 + 1);
    }
    expect(sim.stderr).toMatch(/\] Decode batch\. #running-req: \d+, #token: \d+, token usage: \d\.\d\d, cuda graph: False, gen throughput \(token\/s\): [\d.]+, #queue-req: \d+, \n/);
    expect(sim.stdout).toMatch(/"POST \/v1\/chat\/completions HTTP\/1\.1" 200 OK\n/);
  });
});

describe('/health at a slow token rate', () => {
  it('a healthy server answers 200 at a small time scale: a check never comes sooner than the forward step its probe needs', async () => {
    const port = await freePort();
    // 4 tokens/s: one step is 250 ms, longer than SGLANG_HEALTH_CHECK_TIMEOUT's 20 s at a time scale of 0.01.
    const slow = startSim(['--model-path', makeModelDir(), '--port', String(port), '--disable-cuda-graph'], { SGLANG_SIM_TOKENS_PER_S: '4' });
    try {
      await waitForStatus(`http://127.0.0.1:${port}/health`, 200);
      expect(slow.stderr).not.toContain('Health check failed');
    } finally {
      slow.killGroup();
    }
  });
});
