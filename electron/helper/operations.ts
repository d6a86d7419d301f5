import type { Catalog } from '../../shared/catalog-schema.js';
import { HELPER_PROTOCOL_VERSION, HelperError, type HelperRequest, type HelperRequestOf, type HelperResults } from '../../shared/helper-protocol.js';
import { SWITCHBOARD_VERSION } from '../../shared/version.js';
import type { UnitControl } from '../engine/backends/systemd/unit-control.js';
import type { PowerLimitControl } from './power-limit-control.js';

/** What the operations act on; wired by main.ts. */
export interface HelperOperationsDeps {
  /** The one unit this helper manages. */
  unit: string;
  /** Reads the root-owned catalog, fresh on every call (throws `catalog_error`). */
  readCatalog(): Promise<Catalog>;
  /** The unit control acting with a given catalog (selectModel needs the models' launch settings). */
  unitControlFor(catalog: Catalog): UnitControl;
  /** The catalog read at start-up; used for operations that do not depend on the models. */
  startupCatalog: Catalog;
  /** Null when no GPU power control is available. */
  powerLimits: PowerLimitControl | null;
  startedAtMs: number;
}

/** Runs one validated request; resolves to its result, rejects with a `HelperError` (anything else is `internal`). */
export type HelperDispatch = (request: HelperRequest) => Promise<HelperResults[keyof HelperResults]>;

/** Builds the dispatcher. Unit-changing operations run one at a time, in arrival order. */
export function createHelperOperations(deps: HelperOperationsDeps): HelperDispatch {
  const unitControl = deps.unitControlFor(deps.startupCatalog);
  const exclusive = createQueue();
  const power = (): PowerLimitControl => {
    if (!deps.powerLimits) throw new HelperError('unsupported', 'no GPU power control configured (nvidia-smi not found)');
    return deps.powerLimits;
  };

  return async (request) => {
    switch (request.op) {
      case 'status':
        return status(deps, unitControl);
      case 'selectModel':
        return exclusive(() => selectModel(deps, request));
      case 'start':
      case 'stop':
      case 'restart':
      case 'resetFailed': {
        checkUnit(deps.unit, request.unit);
        const op = request.op;
        await exclusive(() => failedOnError(`${op} ${deps.unit}`, () => unitControl[op]()));
        return { unit: deps.unit };
      }
      case 'setPowerLimit':
        return power().setPowerLimit(request.gpu, request.watts, request.revertAfterS);
      case 'confirmPowerLimit':
        await power().confirm(request.changeId);
        return { changeId: request.changeId };
      case 'revertPowerLimit':
        return { changeId: request.changeId, restoredW: await power().revert(request.changeId) };
    }
  };
}

/** Always answers (a second helper reads the pid from here), even when the unit cannot be shown. */
async function status(deps: HelperOperationsDeps, unitControl: UnitControl): Promise<HelperResults['status']> {
  const shown = await unitControl.show().then(
    (unitState) => ({ unitState }),
    (err: unknown) => ({ unitState: null, unitError: `systemctl show ${deps.unit}: ${err instanceof Error ? err.message : String(err)}` }),
  );
  return {
    helperVersion: SWITCHBOARD_VERSION,
    protocol: HELPER_PROTOCOL_VERSION,
    pid: process.pid,
    uptimeS: Math.round((Date.now() - deps.startedAtMs) / 1000),
    unit: deps.unit,
    ...shown,
    powerControl: deps.powerLimits !== null,
  };
}

async function selectModel(deps: HelperOperationsDeps, request: HelperRequestOf<'selectModel'>): Promise<HelperResults['selectModel']> {
  const catalog = await deps.readCatalog();
  if (catalog.backend.unit !== deps.unit) {
    throw new HelperError('forbidden_unit', `the catalog now names unit ${catalog.backend.unit}, but this helper manages ${deps.unit}; restart the helper to change units`);
  }
  const model = catalog.models.find((m) => m.id === request.modelId);
  if (!model) throw new HelperError('unknown_model', `no model "${request.modelId}" in the helper's catalog`);
  if (model.upstream !== undefined) throw new HelperError('bad_request', `model "${model.id}" is served upstream (${model.upstream}); there is nothing to start for it`);
  await failedOnError(`select ${model.id} for ${deps.unit}`, () => deps.unitControlFor(catalog).selectModel(model.id));
  return { unit: deps.unit, modelId: model.id };
}

function checkUnit(configured: string, requested: string | undefined): void {
  if (requested !== undefined && requested !== configured) {
    throw new HelperError('forbidden_unit', `unit "${requested}" is not the unit this helper manages (${configured})`);
  }
}

/** Failures of systemctl and friends become `failed`, keeping their message. */
async function failedOnError<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof HelperError) throw err;
    throw new HelperError('failed', `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Runs tasks one after another, each starting when the previous settled. */
function createQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
