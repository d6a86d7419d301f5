import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PendingPowerLimit } from '../../../shared/gpu-types.js';
import { EngineError } from '../../../shared/engine-error.js';
import { startAdminServer, type AdminTestServer } from './testing/start-admin-server.js';

let t: AdminTestServer;
beforeEach(async () => {
  t = await startAdminServer();
});
afterEach(() => t.close());

const post = (path: string, body: unknown) => t.fetch(path, { method: 'POST', body: JSON.stringify(body) });
const CHANGE: PendingPowerLimit = { changeId: 'pl-1', gpu: 'GPU-1', previousW: 350, enforcedW: 300, revertAt: '2030-01-01T00:00:00.000Z' };

describe('GPU routes', () => {
  it('GET /api/gpu says why there is no GPU, with the presets', async () => {
    const { status, body } = await t.fetch(`/api/gpu`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ available: false, reason: 'no NVIDIA GPU found (scripted engine)', samples: [], presetsW: [250, 300, 350] });
  });

  it('GET /api/gpu?refresh=topology asks the engine to read the topology again; other values are refused', async () => {
    const calls: unknown[] = [];
    const original = t.engine.gpu.bind(t.engine);
    t.engine.gpu = async (options) => (calls.push(options), original());
    expect((await t.fetch(`/api/gpu?refresh=topology`)).status).toBe(200);
    expect(calls).toEqual([{ refreshTopology: true }]);
    expect((await t.fetch(`/api/gpu?refresh=all`)).status).toBe(400);
  });

  it('GET /api/gpu/{id}/history passes since; an unknown GPU is 404', async () => {
    const seen: unknown[] = [];
    t.engine.gpuHistory = (gpu, sinceMs) => (seen.push([gpu, sinceMs]), []);
    const ok = await t.fetch(`/api/gpu/${encodeURIComponent('00000000:41:00.0')}/history?since=1700000000000`);
    expect(ok).toMatchObject({ status: 200, body: { gpu: '00000000:41:00.0', samples: [] } });
    expect(seen).toEqual([['00000000:41:00.0', 1700000000000]]);
    expect((await t.fetch(`/api/gpu/x/history?since=yesterday`)).status).toBe(400);
    t.engine.gpuHistory = () => {
      throw new EngineError('not_found', 'no GPU "x"');
    };
    expect((await t.fetch(`/api/gpu/x/history`)).body.error.code).toBe('not_found');
  });

  it('POST /api/gpu/power-limit validates the body and answers with the pending change', async () => {
    const seen: unknown[] = [];
    t.engine.setPowerLimit = async (...args) => (seen.push(args), CHANGE);
    expect(await post('/api/gpu/power-limit', { gpu: 'GPU-1', watts: 300, revertAfterS: 15 })).toMatchObject({ status: 200, body: CHANGE });
    expect(seen).toEqual([['GPU-1', 300, 15]]);
    for (const bad of [{ watts: 300 }, { gpu: 'GPU-1' }, { gpu: 'GPU-1', watts: '300' }, { gpu: 'GPU-1', watts: 300.5 }, { gpu: 'GPU-1', watts: 300, revertAfterS: 0 }]) {
      expect((await post('/api/gpu/power-limit', bad)).status).toBe(400);
    }
  });

  it('an out-of-range limit is 400 with the bounds; an unreachable helper is 503 naming its socket', async () => {
    t.engine.setPowerLimit = async () => {
      throw new EngineError('bad_request', "400 W is outside GPU 1's power limit range 100–350 W", { minW: 100, maxW: 350 });
    };
    expect(await post('/api/gpu/power-limit', { gpu: 'GPU-1', watts: 400 })).toMatchObject({ status: 400, body: { error: { details: { minW: 100, maxW: 350 } } } });
    t.engine.setPowerLimit = async () => {
      throw new EngineError('unavailable', 'the privileged helper is not running (no one listens on /run/x.sock)');
    };
    const down = await post('/api/gpu/power-limit', { gpu: 'GPU-1', watts: 300 });
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('/run/x.sock') });
  });

  it('confirm, revert and preset reach the engine', async () => {
    t.engine.confirmPowerLimit = async (changeId) => ({ changeId });
    t.engine.revertPowerLimit = async (changeId) => ({ changeId, restoredW: 350 });
    t.engine.applyPowerPreset = async (watts) => ({ watts, changes: [CHANGE] });
    expect((await post('/api/gpu/power-limit/pl-1/confirm', {})).body).toEqual({ changeId: 'pl-1' });
    expect((await post('/api/gpu/power-limit/pl-1/revert', {})).body).toEqual({ changeId: 'pl-1', restoredW: 350 });
    expect((await post('/api/gpu/preset', { watts: 250 })).body).toEqual({ watts: 250, changes: [CHANGE] });
    expect((await post('/api/gpu/preset', {})).status).toBe(400);
  });

  it('GET /api/throughput/{model} resolves aliases; an unknown model is 404', async () => {
    expect(await t.fetch(`/api/throughput/qwen`)).toMatchObject({ status: 200, body: { modelId: 'qwen-32b', samples: [] } });
    expect((await t.fetch(`/api/throughput/nope`)).body.error.code).toBe('unknown_model');
  });
});
