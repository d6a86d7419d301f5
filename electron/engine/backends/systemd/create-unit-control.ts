import type { Catalog } from '../../../../shared/catalog-schema.js';
import { DEFAULT_HELPER_SOCKET } from '../../../../shared/helper-protocol.js';
import { DirectUnitControl } from '../../../system/systemd/direct-unit-control.js';
import { Systemctl } from '../../../system/systemd/systemctl.js';
import type { UnitControl, UnitState } from '../../../system/systemd/unit-control.js';

/** How the engine reaches systemd; every field has a production default, tests point them at a sandbox. */
export interface SystemdAccessOptions {
  /** Instead of `systemctl` (e.g. `['systemd-sandbox', 'exec', 'systemctl']`). */
  systemctlCommand?: readonly string[];
  /** Instead of `journalctl`. */
  journalctlCommand?: readonly string[];
  /** Root of `<unit>.d/` for the direct control (see DirectUnitControl). */
  dropInRoot?: string;
  /** The helper's socket (default `$SWITCHBOARD_HELPER_SOCKET` or /run/sglang-switchboard/helper.sock). */
  helperSocketPath?: string;
  /** Whether the engine runs as root (default: `process.getuid() === 0`). */
  isRoot?: boolean;
}

/**
 * The unit control for the catalog's backend: systemctl directly for a `--user` unit or when root,
 * otherwise the privileged helper over its socket (never sudo or pkexec).
 */
export async function createUnitControl(catalog: () => Catalog, access: SystemdAccessOptions = {}): Promise<UnitControl> {
  const { unit, scope } = catalog().backend;
  const isRoot = access.isRoot ?? process.getuid?.() === 0;
  if (scope === 'user' || isRoot) {
    return new DirectUnitControl({ catalog, unit, scope, dropInRoot: access.dropInRoot, systemctlCommand: access.systemctlCommand });
  }
  // Loaded only here, so an engine with a user unit or the process backend never loads the client.
  const { HelperUnitControl } = await import('../../../helper/helper-client.js');
  const socketPath = access.helperSocketPath ?? (process.env.SWITCHBOARD_HELPER_SOCKET || DEFAULT_HELPER_SOCKET);
  return withUnprivilegedShow(new HelperUnitControl({ socketPath, unit }), new Systemctl({ scope, command: access.systemctlCommand }));
}

/**
 * Reading a unit's state needs no privilege: `show` goes to systemctl directly, so the backend's
 * polling does not turn into a helper request (and an audit line) every second.
 */
function withUnprivilegedShow(control: UnitControl, systemctl: Systemctl): UnitControl {
  return {
    unit: control.unit,
    selectModel: (modelId) => control.selectModel(modelId),
    start: () => control.start(),
    stop: () => control.stop(),
    restart: () => control.restart(),
    resetFailed: () => control.resetFailed(),
    show: (): Promise<UnitState> => systemctl.show(control.unit),
  };
}
