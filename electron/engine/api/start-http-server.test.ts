import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../../shared/engine-error.js';
import { holdPortInChild, type PortHolder } from '../../system/testing/hold-port-in-child.js';
import { createAdminRoutes } from './admin-http.js';
import { sendJson } from './send-json.js';
import { startHttpServer } from './start-http-server.js';
import { ScriptedEngine } from './testing/scripted-engine.js';
import { fetchJson, TEST_ADMIN_TOKEN } from './testing/start-admin-server.js';
import { createEngineAccess } from './access/engine-access.js';

let holder: PortHolder | null = null;
afterEach(async () => {
  await holder?.kill();
  holder = null;
});

describe('startHttpServer', () => {
  it.runIf(process.platform === 'linux')('names the pid and command holding a busy port', async () => {
    holder = await holdPortInChild('127.0.0.1');
    const attempt = startHttpServer({ host: '127.0.0.1', port: holder.port, handler: () => false });
    await expect(attempt).rejects.toBeInstanceOf(EngineError);
    const err = (await attempt.catch((e: unknown) => e)) as EngineError;
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(new RegExp(`^port ${holder.port} on 127\\.0\\.0\\.1 is already in use by pid ${holder.pid} \\(.*node.* -e `));
    expect(err.details).toMatchObject({ host: '127.0.0.1', port: holder.port, pid: holder.pid });
  });

  it('lets the admin routes share the server with another handler', async () => {
    const engine = new ScriptedEngine();
    const admin = createAdminRoutes(engine, { access: createEngineAccess({ router: () => engine.catalog().router, adminToken: TEST_ADMIN_TOKEN }) });
    const handler = (req: Parameters<typeof admin>[0], res: Parameters<typeof admin>[1]): boolean => {
      if (admin(req, res)) return true;
      if (req.url !== '/v1/models') return false;
      sendJson(res, 200, { object: 'list', data: [] });
      return true;
    };
    const server = await startHttpServer({ host: '127.0.0.1', port: 0, handler });
    try {
      expect((await fetchJson(`${server.url}/v1/models`)).body).toEqual({ object: 'list', data: [] });
      expect((await fetchJson(`${server.url}/health`)).body.status).toBe('ok');
      const missing = await fetchJson(`${server.url}/v2/nothing`);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toEqual({ code: 'not_found', message: 'no route GET /v2/nothing' });
    } finally {
      await server.close();
    }
  });
});
