import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildLaunch } from '../../../shared/build-launch-argv.js';
import type { Catalog, ModelEntry } from '../../../shared/catalog-schema.js';
import { DROP_IN_FILE_NAME, renderDropIn } from '../../../shared/systemd-drop-in.js';
import { assignSlotPorts, slotIdOf } from '../../../shared/gpu-sets.js';
import { isTemplateUnit } from './slot-instance-unit.js';
import { isValidUnitName, Systemctl, type SystemdScope } from './systemctl.js';
import type { UnitControl, UnitState } from './unit-control.js';

export interface DirectUnitControlOptions {
  /** The catalog, or a function returning the current one (read at each selectModel). */
  catalog: Catalog | (() => Catalog);
  unit: string;
  scope: SystemdScope;
  /**
   * Where `<unit>.d/` goes. Defaults to `/etc/systemd/system` (system scope) or
   * `$XDG_CONFIG_HOME/systemd/user` (user scope); tests use the sandbox's `/run/systemd/system`.
   */
  dropInRoot?: string;
  /** The command to run instead of `systemctl` (tests: a sandbox prefix). */
  systemctlCommand?: readonly string[];
}

/**
 * Controls the unit with systemctl directly: as root, inside the privileged helper, or for a
 * `--user` unit. Selecting a model writes only the switchboard's drop-in; the unit file is never edited.
 */
export class DirectUnitControl implements UnitControl {
  readonly unit: string;
  /** The drop-in file selectModel writes. */
  readonly dropInPath: string;
  private readonly systemctl: Systemctl;
  private readonly catalog: () => Catalog;

  constructor(options: DirectUnitControlOptions) {
    if (!isValidUnitName(options.unit)) throw new Error(`invalid unit name "${options.unit}"`);
    this.unit = options.unit;
    const root = options.dropInRoot ?? defaultDropInRoot(options.scope);
    this.dropInPath = join(root, `${options.unit}.d`, DROP_IN_FILE_NAME);
    this.systemctl = new Systemctl({ scope: options.scope, command: options.systemctlCommand });
    const { catalog } = options;
    this.catalog = typeof catalog === 'function' ? catalog : () => catalog;
  }

  async selectModel(modelId: string): Promise<void> {
    const catalog = this.catalog();
    const model = catalog.models.find((m) => m.id === modelId);
    if (!model) throw new Error(`unknown model "${modelId}"`);
    if (model.upstream !== undefined) throw new Error(`model "${modelId}" is served elsewhere (${model.upstream}); there is nothing to launch`);
    // A template's drop-in would reach every instance, the other slots' servers included.
    if (isTemplateUnit(this.unit)) throw new Error(`${this.unit} is a template unit; select a model for one of its instances`);
    const launch = buildLaunch(model, catalog, { port: slotPortOf(model, catalog) });
    await writeFileAtomically(this.dropInPath, renderDropIn({ argv: launch.argv, env: launch.env, modelId }));
    await this.systemctl.daemonReload();
  }

  start(): Promise<void> {
    return this.systemctl.start(this.unit);
  }

  stop(): Promise<void> {
    return this.systemctl.stop(this.unit);
  }

  restart(): Promise<void> {
    return this.systemctl.restart(this.unit);
  }

  resetFailed(): Promise<void> {
    return this.systemctl.resetFailed(this.unit);
  }

  show(): Promise<UnitState> {
    return this.systemctl.show(this.unit);
  }
}

/**
 * The port the engine serves the model's slot on (the same assignment its slot pool makes), so
 * each instance of a template unit listens on its own slot's port, not on backend.port.
 */
function slotPortOf(model: ModelEntry, catalog: Catalog): number {
  const slotId = slotIdOf(model);
  const port = assignSlotPorts(catalog).get(slotId);
  if (port === undefined) throw new Error(`no port for slot ${slotId} of model "${model.id}"`);
  return port;
}

/** Where systemd reads administrator drop-ins for the scope. */
export function defaultDropInRoot(scope: SystemdScope): string {
  if (scope === 'system') return '/etc/systemd/system';
  const configHome = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(configHome, 'systemd', 'user');
}

/** Temp file beside the target, fsync, rename, fsync of the folder: systemd never reads half a file. */
async function writeFileAtomically(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tempPath = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const file = await open(tempPath, 'wx', 0o644);
    try {
      await file.chmod(0o644);
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tempPath, path);
  } catch (err) {
    await unlink(tempPath).catch(() => undefined);
    throw err;
  }
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
