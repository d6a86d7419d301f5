import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../../shared/engine-error.js';
import { startAdminServer, type AdminTestServer } from './testing/start-admin-server.js';

let t: AdminTestServer;
beforeEach(async () => {
  t = await startAdminServer();
});
afterEach(() => t.close());

const post = (path: string, body: unknown) => t.fetch(path, { method: 'POST', body: JSON.stringify(body) });

describe('bench routes', () => {
  it('POST /api/bench/{model} runs with maxTokens; 409 while one runs; GET history', async () => {
    const seen: unknown[] = [];
    t.engine.runBenchmark = async (model, options) => {
      seen.push([model, options]);
      return { modelId: 'qwen-32b', atMs: 1, tokPerS: 50, ttftMs: 80, tokens: 64, gpus: [0, 1], powerLimitsW: [350, 350], powerDrawW: null, tokPerW: null };
    };
    expect((await post('/api/bench/qwen', { maxTokens: 64 })).body.tokPerS).toBe(50);
    expect(seen).toEqual([['qwen', { maxTokens: 64 }]]);
    expect((await post('/api/bench/qwen', { maxTokens: 1 })).status).toBe(400);
    expect((await post('/api/bench/nope', {})).body.error.code).toBe('unknown_model');
    t.engine.runBenchmark = async () => {
      throw new EngineError('conflict', 'a benchmark is already running; wait for it to finish');
    };
    expect((await post('/api/bench/qwen', {})).status).toBe(409);
    t.engine.runBenchmark = async () => {
      throw new EngineError('too_few_tokens', 'qwen-32b produced too little to measure (1 token(s))', { tokens: 1, maxTokens: 2 });
    };
    expect(await post('/api/bench/qwen', { maxTokens: 2 })).toMatchObject({
      status: 422,
      body: { error: { code: 'too_few_tokens', details: { tokens: 1, maxTokens: 2 } } },
    });
    expect(await t.fetch(`/api/bench/history`)).toMatchObject({ status: 200, body: { runs: [], summary: [] } });
  });
});
