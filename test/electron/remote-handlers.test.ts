import { describe, expect, it } from 'vitest';
import { API_METHOD_NAMES, ApiCallError, type ApiTransport } from '../../shared/switchboard-api.js';
import { createRemoteHandlers } from '../../shared/transports/remote-handlers.js';

function recordingTransport(reply: (method: string, params: unknown) => Promise<unknown>) {
  const calls: Array<[string, unknown]> = [];
  const transport: Pick<ApiTransport, 'call'> = {
    call: ((method: string, params: unknown) => {
      calls.push([method, params]);
      return reply(method, params);
    }) as ApiTransport['call'],
  };
  return { transport, calls };
}

describe('createRemoteHandlers', () => {
  it('has a handler for every method of the contract, each forwarding its name and params untouched', async () => {
    const { transport, calls } = recordingTransport(async (method) => ({ answered: method }));
    const handlers = createRemoteHandlers(transport);
    expect(Object.keys(handlers).sort()).toEqual([...API_METHOD_NAMES].sort());
    for (const method of API_METHOD_NAMES) {
      const params = { probe: method };
      await expect((handlers[method] as (p: unknown) => Promise<unknown>)(params)).resolves.toEqual({ answered: method });
      expect(calls.at(-1)).toEqual([method, params]);
    }
  });

  it('passes the remote error through, keeping its code', async () => {
    const { transport } = recordingTransport(async () => {
      throw new ApiCallError({ code: 'conflict', message: 'catalog changed meanwhile', details: { revision: 'x' } });
    });
    const handlers = createRemoteHandlers(transport);
    const err = await handlers['catalog.apply']({ change: { op: 'remove', id: 'qwen' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    expect(err).toMatchObject({ code: 'conflict', message: 'catalog changed meanwhile', details: { revision: 'x' } });
  });

  it('maps errors when asked (main turns them into its own error class)', async () => {
    const { transport } = recordingTransport(async () => {
      throw new ApiCallError({ code: 'unknown_model', message: 'no model "nope"' });
    });
    const handlers = createRemoteHandlers(transport, { mapError: (e) => new Error(`mapped: ${(e as ApiCallError).code}`) });
    await expect(handlers['models.switchTo']({ model: 'nope' })).rejects.toThrow('mapped: unknown_model');
  });
});
