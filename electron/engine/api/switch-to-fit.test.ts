// models.switchTo and the fit check: a will_not_fit estimate refuses the switch before the engine is
// asked to load anything; force skips the check.

import { describe, expect, it, vi } from 'vitest';
import type { ModelEntry } from '../../../shared/catalog-schema.js';
import { EngineError } from '../../../shared/engine-error.js';
import type { SlotView } from '../../../shared/engine-state.js';
import type { CatalogEditor } from '../catalog/catalog-editor.js';
import type { Engine } from '../engine-api.js';
import { createApiHandlers } from './api-handlers.js';
import { dispatchApiCall } from './dispatch-api-call.js';
import { sendError } from './send-json.js';

function stubEngine(refuse: boolean) {
  const model = { id: 'big', tp: 1 } as ModelEntry;
  const slot = { id: 'all', modelId: 'big' } as SlotView;
  const engine = {
    resolveModel: () => model,
    checkFit: vi.fn(async () => {
      if (refuse) throw new EngineError('will_not_fit', 'big will not fit: GPU 0 (RTX 3090): 37.80 GiB short', { shortfallGib: 37.8 });
      return null;
    }),
    ensureReady: vi.fn(async () => slot),
    estimateFit: vi.fn(async () => ({ verdict: 'fits', summary: 'ok' })),
    catalog: () => ({ models: [] }),
  };
  return { engine, handlers: createApiHandlers(engine as unknown as Engine, { catalogEditor: {} as CatalogEditor }) };
}

describe('models.switchTo with the fit check', () => {
  it('refuses a load that will not fit before anything is loaded', async () => {
    const { engine, handlers } = stubEngine(true);
    const outcome = await dispatchApiCall(handlers, 'models.switchTo', { model: 'big', wait: true });
    expect(outcome).toEqual({ ok: false, error: { code: 'will_not_fit', message: expect.stringContaining('37.80 GiB short') as string, details: { shortfallGib: 37.8 } } });
    expect(engine.ensureReady).not.toHaveBeenCalled();
  });

  it('force skips the check and loads', async () => {
    const { engine, handlers } = stubEngine(true);
    const outcome = await dispatchApiCall(handlers, 'models.switchTo', { model: 'big', wait: true, force: true });
    expect(outcome).toMatchObject({ ok: true });
    expect(engine.checkFit).not.toHaveBeenCalled();
    expect(engine.ensureReady).toHaveBeenCalledOnce();
  });

  it('a fitting (or unknown) estimate goes on to the load', async () => {
    const { engine, handlers } = stubEngine(false);
    expect(await dispatchApiCall(handlers, 'models.switchTo', { model: 'big', wait: true })).toMatchObject({ ok: true });
    expect(engine.checkFit).toHaveBeenCalledWith('big');
  });

  it('rejects a non-boolean force', async () => {
    const { handlers } = stubEngine(false);
    expect(await dispatchApiCall(handlers, 'models.switchTo', { model: 'big', force: 'yes' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it('models.fit answers the estimate without refusing, unknown_model for a name it does not know', async () => {
    const { engine, handlers } = stubEngine(true);
    expect(await dispatchApiCall(handlers, 'models.fit', { model: 'big' })).toEqual({ ok: true, result: { verdict: 'fits', summary: 'ok' } });
    expect(engine.checkFit).not.toHaveBeenCalled();
    engine.resolveModel = () => undefined as unknown as ModelEntry;
    expect(await dispatchApiCall(handlers, 'models.fit', { model: 'nope' })).toMatchObject({ ok: false, error: { code: 'unknown_model' } });
  });

  it('answers HTTP 409', () => {
    const res = { headersSent: false, destroyed: false, writeHead: vi.fn(), end: vi.fn() };
    sendError(res as never, new EngineError('will_not_fit', 'no'));
    expect(res.writeHead).toHaveBeenCalledWith(409, expect.anything());
  });
});
