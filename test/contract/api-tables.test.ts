import { describe, expect, it } from 'vitest';
import { API_METHOD_NAMES } from '../../shared/switchboard-api.js';
import { createRemoteHandlers } from '../../shared/transports/remote-handlers.js';
import { createApiHandlers } from '../../electron/engine/api/api-handlers.js';
import { API_PARAM_SCHEMAS } from '../../electron/engine/api/api-param-schemas.js';
import { dispatchApiCall } from '../../electron/engine/api/dispatch-api-call.js';
import type { CatalogEditor } from '../../electron/engine/catalog/catalog-editor.js';
import type { Engine } from '../../electron/engine/engine-api.js';

// The runtime side of contract-coverage.test.ts (which has the compiler check the same tables): what
// the transports dispatch on at run time names every method of the contract, and nothing else.

const handlers = createApiHandlers({} as Engine, { catalogEditor: {} as CatalogEditor });

describe('the API tables at run time', () => {
  it.each([...API_METHOD_NAMES])('%s has a param schema, an engine handler and a remote handler', (method) => {
    expect(typeof API_PARAM_SCHEMAS[method]?.safeParse).toBe('function');
    expect(typeof handlers[method]).toBe('function');
    expect(typeof createRemoteHandlers({ call: async () => undefined as never })[method]).toBe('function');
  });

  it('has no entry the contract does not name', () => {
    const names = [...API_METHOD_NAMES].sort();
    expect(Object.keys(API_PARAM_SCHEMAS).sort()).toEqual(names);
    expect(Object.keys(handlers).sort()).toEqual(names);
  });

  it('requests.list: every filter is optional; a status is a class or a code, a limit is bounded', () => {
    const schema = API_PARAM_SCHEMAS['requests.list'];
    expect(schema.safeParse({}).success).toBe(true);
    expect(schema.safeParse({ model: 'chat', status: '4xx', sinceMs: 1, untilMs: 2, client: '127.0.0.1', limit: 10 }).success).toBe(true);
    expect(schema.safeParse({ status: '404' }).success).toBe(true);
    expect(schema.safeParse({ status: 'bad' }).success).toBe(false);
    expect(schema.safeParse({ status: '6xx' }).success).toBe(false);
    expect(schema.safeParse({ limit: 0 }).success).toBe(false);
    expect(schema.safeParse({ limit: 100_000 }).success).toBe(false);
    expect(schema.safeParse({ route: '/v1/models' }).success).toBe(false);
  });

  it('setup.startSimulatedHost: no params; without the host part behind it, `unavailable` pointing at `switchboard demo`', async () => {
    expect(API_PARAM_SCHEMAS['setup.startSimulatedHost'].safeParse({}).success).toBe(true);
    expect(API_PARAM_SCHEMAS['setup.startSimulatedHost'].safeParse({ dir: '/etc' }).success).toBe(false);
    const outcome = await dispatchApiCall(handlers, 'setup.startSimulatedHost', {});
    expect(outcome).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('switchboard demo') } });
  });
});
