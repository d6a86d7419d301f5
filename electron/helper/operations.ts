import type { Catalog } from '../../shared/catalog-schema.js';
import { HELPER_PROTOCOL_VERSION, HelperError, type HelperRequest, type HelperRequestOf, type HelperResults } from '../../shared/helper-protocol.js';
import { slotIdOf } from '../../shared/gpu-sets.js';
import { SWITCHBOARD_VERSION } from '../../shared/version.js';
import type { PowerLimitControl } from '../system/nvidia-smi/power-limit-control.js';
import { isTemplateUnit, slotInstanceUnit, slotOfInstanceUnit } from '../system/systemd/slot-instance-unit.js';
import type { UnitControl } from '../system/systemd/unit-control.js';

/** What the operations act on; wired by main.ts. */
export interface HelperOperationsDeps {
  /** The configured unit: the one unit this helper manages, or a template `name@.service` whose slot instances it manages. */
  unit: string;
  /** Reads the root-owned catalog, fresh on every call (throws `catalog_error`). */
  readCatalog(): Promise<Catalog>;
  /** The control of `unit` (the configured unit or an accepted instance of it) acting with a given catalog (selectModel needs the models' launch settings). */
  unitControlFor(catalog: Catalog, unit: string): UnitControl;
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
  const unitControl = (unit: string) => deps.unitControlFor(deps.startupCatalog, unit);
  const exclusive = createQueue();
  const power = (): PowerLimitControl => {
    if (!deps.powerLimits) throw new HelperError('unsupported', 'no GPU power control configured (nvidia-smi not found)');
    return deps.powerLimits;
  };

  return async (request) => {
    switch (request.op) {
      case 'status':
        // Answers even without a unit for a template (a second helper's probe reads the pid from here).
        return status(deps, request.unit === undefined && isTemplateUnit(deps.unit) ? null : unitControl(allowedUnit(deps.unit, request.unit)));
      case 'selectModel': {
        const unit = allowedUnit(deps.unit, request.unit);
        return exclusive(() => selectModel(deps, unit, request));
      }
      case 'start':
      case 'stop':
      case 'restart':
      case 'resetFailed': {
        const unit = allowedUnit(deps.unit, request.unit);
        const op = request.op;
        await exclusive(() => failedOnError(`${op} ${unit}`, () => unitControl(unit)[op]()));
        return { unit };
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

/**
 * Always answers (a second helper reads the pid from here), even when the unit cannot be shown.
 * `unitControl` is null for a template asked without an instance: systemd has no state for a template.
 */
async function status(deps: HelperOperationsDeps, unitControl: UnitControl | null): Promise<HelperResults['status']> {
  const shown = unitControl
    ? await unitControl.show().then(
        (unitState) => ({ unitState }),
        (err: unknown) => ({ unitState: null, unitError: `systemctl show ${unitControl.unit}: ${err instanceof Error ? err.message : String(err)}` }),
      )
    : { unitState: null, unitError: `${deps.unit} is a template unit; ask for the status of one of its instances (unit: ${deps.unit.replace('@.service', '@<slot>.service')})` };
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

async function selectModel(deps: HelperOperationsDeps, unit: string, request: HelperRequestOf<'selectModel'>): Promise<HelperResults['selectModel']> {
  const catalog = await deps.readCatalog();
  if (catalog.backend.unit !== deps.unit) {
    throw new HelperError('forbidden_unit', `the catalog now names unit ${catalog.backend.unit}, but this helper manages ${deps.unit}; restart the helper to change units`);
  }
  const model = catalog.models.find((m) => m.id === request.modelId);
  if (!model) throw new HelperError('unknown_model', `no model "${request.modelId}" in the helper's catalog`);
  if (model.upstream !== undefined) throw new HelperError('bad_request', `model "${model.id}" is served upstream (${model.upstream}); there is nothing to start for it`);
  // An instance serves one slot: another slot's model would take that slot's GPUs and port.
  const slotId = slotIdOf(model);
  if (unit !== deps.unit && slotOfInstanceUnit(deps.unit, unit) !== slotId) {
    throw new HelperError('bad_request', `model "${model.id}" runs in slot ${slotId}, so only ${slotInstanceUnit(deps.unit, slotId)} may run it, not ${unit}`);
  }
  await failedOnError(`select ${model.id} for ${unit}`, () => deps.unitControlFor(catalog, unit).selectModel(model.id));
  return { unit, modelId: model.id };
}

/**
 * The unit a request may act on. A plain configured unit: that unit (named or not). A template
 * `name@.service`: exactly `name@<slot>.service` for a slot id (`all`, `gpu0`, `gpu1-2`), which
 * the request must name. Anything else is `forbidden_unit`.
 */
function allowedUnit(configured: string, requested: string | undefined): string {
  if (!isTemplateUnit(configured)) {
    if (requested === undefined || requested === configured) return configured;
    throw new HelperError('forbidden_unit', `unit "${requested}" is not the unit this helper manages (${configured})`);
  }
  if (requested !== undefined && slotOfInstanceUnit(configured, requested) !== undefined) return requested;
  const instances = `${configured.slice(0, -'@.service'.length)}@<slot>.service, slot all or gpuN[-M…]`;
  if (requested === undefined) throw new HelperError('forbidden_unit', `this helper manages the instances of the template ${configured}; name one (${instances})`);
  throw new HelperError('forbidden_unit', `unit "${requested}" is not the unit this helper manages (an instance of ${configured}: ${instances})`);
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
