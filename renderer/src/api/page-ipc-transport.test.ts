import { describe, expect, it } from 'vitest';
import { ApiCallError, type ApiTransport } from '../../../shared/switchboard-api.js';
import { pageIpcTransport } from './page-ipc-transport.js';

function bridgedRejecting(value: unknown): ApiTransport {
  return { kind: 'ipc', call: () => Promise.reject(value), subscribe: () => () => undefined };
}

describe('pageIpcTransport', () => {
  it('turns the bridged plain error object back into an ApiCallError with code and details', async () => {
    const transport = pageIpcTransport(bridgedRejecting({ name: 'ApiCallError', code: 'unknown_model', message: 'unknown model "x"', details: { known: ['a'] } }));
    const err = await transport.call('models.switchTo', { model: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    expect(err).toMatchObject({ code: 'unknown_model', message: 'unknown model "x"', details: { known: ['a'] } });
  });

  it.each([[new Error('boom')], ['text'], [{ name: 'Other', code: 'x' }], [{ name: 'ApiCallError' }]])('passes anything else through: %s', async (value) => {
    const err = await pageIpcTransport(bridgedRejecting(value))
      .call('state.get', {})
      .catch((e: unknown) => e);
    expect(err).toBe(value);
  });

  it('resolves results unchanged', async () => {
    const state = { version: '1' };
    const transport = pageIpcTransport({ kind: 'ipc', call: async () => state as never, subscribe: () => () => undefined });
    expect(await transport.call('state.get', {})).toBe(state);
  });
});
