// The engine against both simulated SGLang releases (SGLANG_SIM_INFO_ROUTES): loading and readiness do
// not depend on the info-route names, and SglangInfoClient reads the launched server under whichever
// names its release serves.
import { afterEach, describe, expect, it } from 'vitest';
import { catalogSchema } from '../../shared/catalog-schema.js';
import { createEngine } from '../../electron/engine/engine.js';
import type { Engine } from '../../electron/engine/engine-api.js';
import { SglangInfoClient } from '../../electron/engine/backends/sglang-info.js';
import { createSimHost, type SimHost } from './support/sim-host.js';

let host: SimHost | undefined;
let engine: Engine | undefined;

afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await host?.cleanup();
  host = undefined;
});

describe.runIf(process.platform === 'linux')('the engine with each SGLang release', () => {
  it.each([
    // release, warmup poll in the server log, path the client settles on
    ['0.5.3.post1', '"GET /get_model_info HTTP/1.1" 200', '/get_server_info'],
    ['0.5.6', '"GET /model_info HTTP/1.1" 200', '/server_info'],
  ] as const)('SGLang %s: loads to ready, warmup polls %s, server info from %s', async (release, warmupLine, infoPath) => {
    host = await createSimHost([{ id: 'm', env: { SGLANG_SIM_INFO_ROUTES: release } }]);
    engine = await createEngine({ catalog: catalogSchema.parse(host.catalogInput), configPath: 'test', stateDir: null, gpuMonitor: false, probeIntervalMs: 50 });
    const slot = await engine.ensureReady('m', 'manual');
    expect(slot.status).toBe('ready');
    const backend = host.catalog.backend;
    const client = new SglangInfoClient(5000);
    const info = await client.get(backend.host, backend.port, '/server_info');
    expect(info).toMatchObject({ path: infoPath, statusCode: 200 });
    expect(JSON.parse(info.body)).toMatchObject({ port: backend.port, status: 'ready' });
    const logs = engine
      .logs(5000)
      .map((line) => line.text)
      .join('\n');
    expect(logs).toContain(warmupLine);
    expect(logs).not.toContain('is deprecated');
  });
});
