import OpenAI from 'openai';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { startRouterHost, type RouterHost } from './support/router-host.js';
import { freePort, type SimModelSpec } from './support/sim-host.js';

// GET /metrics with two models loaded at once on disjoint GPUs in the SGLang simulator (both run with
// --enable-metrics): switchboard's own series and each server's own series, read by a Prometheus
// text-format parser; admin-protected unless metrics.public.

let host: RouterHost | undefined;

afterEach(async () => {
  await host?.close();
  host = undefined;
});

const MODELS: SimModelSpec[] = [
  { id: 'chat', gpus: [0], extraArgs: ['--enable-metrics'] },
  { id: 'coder', gpus: [1], extraArgs: ['--enable-metrics'] },
];

const SCRAPE_KEY = 'scrape-0123456789abcdef';

async function start(metricsPublic = false, metricsKeys: string[] = []): Promise<RouterHost> {
  const ports = [await freePort(), await freePort()];
  return startRouterHost(MODELS, {
    tokensPerS: 0,
    patch: (input) => {
      input.models = input.models!.map((m, i) => ({ ...m, port: ports[i]! }));
      if (metricsPublic || metricsKeys.length > 0) input.metrics = { public: metricsPublic, keys: metricsKeys };
    },
  });
}

async function complete(h: RouterHost, model: string): Promise<void> {
  const openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-unused', maxRetries: 0 });
  const answer = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
  expect(answer.choices[0]?.finish_reason).not.toBeNull();
}

async function scrape(h: RouterHost, headers: Record<string, string> = h.adminHeaders): Promise<{ families: PromFamily[]; text: string }> {
  const res = await fetch(`${h.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { families: parsePrometheusTextFormat(text), text };
}

/** The `model` labels of a histogram's `_count` samples, from the raw text (the parser drops histogram labels). */
function histogramModels(text: string, name: string): string[] {
  const models = [...text.matchAll(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_count\\{[^\\n]*?model="([^"]*)"`, 'gm'))].map((m) => m[1]!);
  return [...new Set(models)].sort();
}

function family(families: PromFamily[], name: string): PromFamily {
  const found = families.filter((f) => f.name === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
}

const modelsOf = (f: PromFamily): string[] => [...new Set(f.metrics.map((m) => m.labels?.model ?? ''))].sort();

describe('GET /metrics', () => {
  it('shows switchboard series and both servers own series with a model label each', { timeout: 60_000 }, async () => {
    host = await start();
    const h = host;
    await Promise.all([complete(h, 'chat'), complete(h, 'coder')]);
    expect([...h.engine.state().activeModels].sort()).toEqual(['chat', 'coder']);

    const { families, text } = await scrape(h);
    // SGLang's own series, passed through with model="<catalog id>" added, one family each.
    const running = family(families, 'sglang:num_running_reqs');
    expect(running.type).toBe('GAUGE');
    expect(modelsOf(running)).toEqual(['chat', 'coder']);
    expect(running.metrics.every((m) => m.labels?.engine_type === 'unified' && m.labels.model_name !== undefined)).toBe(true);
    const ttft = family(families, 'sglang:time_to_first_token_seconds');
    expect(ttft.type).toBe('HISTOGRAM');
    expect(histogramModels(text, 'sglang:time_to_first_token_seconds')).toEqual(['chat', 'coder']);
    // The server counts its own warmup request too.
    expect(text).toMatch(/^sglang:time_to_first_token_seconds_count\{model="chat",model_name="[^"]*"\} [1-9]\d*\.0$/m);

    // Switchboard's own series.
    const loads = family(families, 'switchboard_model_load_duration_seconds');
    expect(loads.type).toBe('HISTOGRAM');
    expect(histogramModels(text, 'switchboard_model_load_duration_seconds')).toEqual(['chat', 'coder']);
    expect(text).toMatch(/^switchboard_model_load_duration_seconds_count\{model="chat",outcome="ready"\} 1$/m);
    expect(text).toMatch(/^switchboard_model_load_duration_seconds_bucket\{le="\+Inf",model="coder",outcome="ready"\} 1$/m);
    expect(family(families, 'switchboard_model_load_phase_duration_seconds').type).toBe('HISTOGRAM');
    expect(histogramModels(text, 'switchboard_model_load_phase_duration_seconds')).toEqual(['chat', 'coder']);
    expect(text).toMatch(/^switchboard_model_load_phase_duration_seconds_count\{model="chat",phase="weights"\} 1$/m);

    const requests = family(families, 'switchboard_router_requests_total');
    expect(requests.type).toBe('COUNTER');
    expect(requests.metrics.map((m) => [m.labels?.model, m.labels?.route, m.labels?.status, m.value]).sort()).toEqual([
      ['chat', '/v1/chat/completions', '200', '1'],
      ['coder', '/v1/chat/completions', '200', '1'],
    ]);
    const loaded = family(families, 'switchboard_model_loaded');
    expect(loaded.metrics.map((m) => [m.labels?.model, m.value]).sort()).toEqual([
      ['chat', '1'],
      ['coder', '1'],
    ]);
    expect(family(families, 'switchboard_models_loaded').metrics[0]?.value).toBe('2');
    expect(family(families, 'switchboard_router_requests_in_flight').metrics).toEqual([]);
    expect(family(families, 'switchboard_switch_queue_depth').metrics.every((m) => m.value === '0')).toBe(true);
    expect(family(families, 'switchboard_upstream_metrics_errors_total').metrics).toEqual([]);
  });

  it('answers 401 without an admin key, and an inference key does not open it', { timeout: 60_000 }, async () => {
    host = await start();
    const bare = await fetch(`${host.url}/metrics`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await bare.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const wrong = await fetch(`${host.url}/metrics`, { headers: { authorization: 'Bearer sk-not-an-admin-key' } });
    expect(wrong.status).toBe(401);
    // A foreign web page is refused whatever the key (the admin API's Origin rule).
    const foreign = await fetch(`${host.url}/metrics`, { headers: { ...host.adminHeaders, origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
  });

  it('a scrape key from metrics.keys reads /metrics and opens nothing else', { timeout: 60_000 }, async () => {
    host = await start(false, [SCRAPE_KEY]);
    const bearer = { authorization: `Bearer ${SCRAPE_KEY}` };
    const { families } = await scrape(host, bearer);
    expect(family(families, 'switchboard_models_loaded').metrics[0]?.value).toBe('0');
    // Not the admin API, not a state change.
    expect((await fetch(`${host.url}/api/state`, { headers: bearer })).status).toBe(401);
    const sw = await fetch(`${host.url}/api/models/chat/switch`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' });
    expect(sw.status).toBe(401);
    expect(host.engine.state().slots.every((s) => s.status === 'stopped')).toBe(true);
    // The admin key still reads it, and a foreign page is still refused with the scrape key.
    await scrape(host);
    expect((await fetch(`${host.url}/metrics`, { headers: { ...bearer, origin: 'https://evil.example' } })).status).toBe(403);
  });

  it('answers without a key when metrics.public is true', { timeout: 60_000 }, async () => {
    host = await start(true);
    const { families } = await scrape(host, {});
    expect(family(families, 'switchboard_models_loaded').metrics[0]?.value).toBe('0');
    // No server runs: no SGLang series.
    expect(families.some((f) => f.name.startsWith('sglang:'))).toBe(false);
  });
});
