import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SlotView, SwitchCause } from '../../../shared/engine-state.js';
import type { Engine } from '../engine-api.js';
import { EngineError } from '../../../shared/engine-error.js';
import { readJsonBody } from './read-json-body.js';
import { resolveModelId, unknownModelError } from '../catalog/resolve-model-id.js';
import { sendError, sendJson } from './send-json.js';

/** Causes a client may claim for a switch; the rest are the engine's own. */
const CLIENT_CAUSES: readonly SwitchCause[] = ['manual', 'cli'];

interface SwitchRequest {
  wait: boolean;
  cause: SwitchCause;
  force: boolean;
}

/**
 * `POST /api/models/{id}/switch` — body `{ wait?: boolean, cause?: 'manual' | 'cli', force?: boolean }`, or `?wait=1`.
 * Without wait: 202 `{ accepted, modelId }` while the switch runs on. With wait: 200 `{ slot }` or the error.
 * A model the fit estimate says will not fit is refused (409 `will_not_fit`) unless `force`.
 */
export async function handleSwitch(engine: Engine, req: IncomingMessage, res: ServerResponse, idOrAlias: string, query: URLSearchParams): Promise<void> {
  const request = parseSwitchRequest(await readJsonBody(req), query);
  const modelId = resolveModelId(engine.catalog(), idOrAlias);
  if (modelId === null) throw unknownModelError(engine.catalog(), idOrAlias);

  // async wrapper: a synchronous throw becomes a rejection like any other.
  // Checked before the answer so a refusal is the answer, with or without wait (the queue checks again in the load's turn).
  if (!request.force) await engine.checkFit(modelId);
  const ready = (async () => engine.ensureReady(modelId, request.cause, { force: request.force }))();
  if (request.wait) {
    const slot = await ready;
    return sendJson(res, 200, { slot });
  }
  // Without wait nobody awaits the load; its failure is reported through state and events.
  ready.catch(() => undefined);
  const early = await settledWithinATick(ready);
  if (early?.status === 'rejected') return sendError(res, early.reason);
  sendJson(res, 202, { accepted: true, modelId });
}

function parseSwitchRequest(body: Record<string, unknown>, query: URLSearchParams): SwitchRequest {
  const wait = body.wait ?? isTruthyParam(query.get('wait'));
  if (typeof wait !== 'boolean') throw new EngineError('bad_request', '"wait" must be true or false');
  const cause = body.cause ?? 'manual';
  if (typeof cause !== 'string' || !CLIENT_CAUSES.includes(cause as SwitchCause)) {
    throw new EngineError('bad_request', `"cause" must be one of: ${CLIENT_CAUSES.join(', ')}`);
  }
  const force = body.force ?? false;
  if (typeof force !== 'boolean') throw new EngineError('bad_request', '"force" must be true or false');
  return { wait, cause: cause as SwitchCause, force };
}

function isTruthyParam(value: string | null): boolean {
  return value !== null && ['1', 'true', 'yes', ''].includes(value.toLowerCase());
}

/** Lets an immediate rejection (bad id, conflict) surface as the answer instead of a 202. */
async function settledWithinATick(promise: Promise<SlotView>): Promise<PromiseSettledResult<SlotView> | null> {
  const tick = new Promise<null>((resolve) => setImmediate(() => resolve(null)));
  const settled = promise.then(
    (value): PromiseSettledResult<SlotView> => ({ status: 'fulfilled', value }),
    (reason): PromiseSettledResult<SlotView> => ({ status: 'rejected', reason }),
  );
  return Promise.race([settled, tick]);
}
