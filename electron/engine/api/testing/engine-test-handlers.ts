import { API_METHOD_NAMES, type ApiHandlers, type ApiMethodName } from '../../../../shared/switchboard-api.js';
import { unknownModelError } from '../../catalog/resolve-model-id.js';
import type { Engine } from '../../engine-api.js';
import { EngineError } from '../../../../shared/engine-error.js';

/**
 * ApiHandlers over an Engine for transport tests (the real ones, with the catalog editor, are
 * api-handlers.ts): the engine's own methods, `unavailable` for the rest, `overrides` on top.
 */
export function createEngineTestHandlers(engine: Engine, overrides: Partial<ApiHandlers> = {}): ApiHandlers {
  const served: Partial<ApiHandlers> = {
    'state.get': async () => engine.state(),
    'models.list': async () => engine.state().models,
    'models.switchTo': async ({ model, wait }) => {
      if (!engine.resolveModel(model)) throw unknownModelError(engine.catalog(), model);
      const ready = engine.ensureReady(model, 'manual');
      if (wait) return ready;
      ready.catch(() => undefined);
      return engine.state().slots[0]!;
    },
    'models.stop': async () => {
      await engine.stop('manual');
      return { stopped: true };
    },
    'logs.tail': async ({ tail }) => (tail === 0 ? [] : engine.logs(tail ?? 200)),
    'gpu.overview': (params) => engine.gpu(params),
    'gpu.history': async ({ gpu, sinceMs }) => engine.gpuHistory(gpu, sinceMs),
    'bench.history': async () => engine.benchHistory(),
    ...overrides,
  };
  const handlers: Partial<Record<ApiMethodName, (params: never) => Promise<unknown>>> = { ...served };
  for (const method of API_METHOD_NAMES) {
    handlers[method] ??= async () => {
      throw new EngineError('unavailable', `${method} is not served by the test handlers`);
    };
  }
  return handlers as ApiHandlers;
}
