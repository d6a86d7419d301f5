import type { Catalog } from '../../shared/catalog-schema.js';
import { HelperError } from '../../shared/helper-protocol.js';
import { DirectUnitControl } from '../system/systemd/direct-unit-control.js';
import type { UnitControl, UnitState } from '../system/systemd/unit-control.js';

/** How the helper acts on its unit: systemctl (`direct`), or not at all (`none`: a test seam). */
export const UNIT_CONTROL_KINDS = ['direct', 'none'] as const;
export type UnitControlKind = (typeof UNIT_CONTROL_KINDS)[number];

export interface HelperUnitControlOptions {
  catalog: Catalog;
  unit: string;
  /** Instead of `systemctl` (tests: `systemd-sandbox exec systemctl`). */
  systemctlCommand: string[] | undefined;
  /** Root of `<unit>.d/` drop-ins; the system default when undefined. */
  dropInRoot: string | undefined;
}

/** The UnitControl the daemon uses for one catalog. */
export function createHelperUnitControl(kind: UnitControlKind, opts: HelperUnitControlOptions): UnitControl {
  if (kind === 'none') return new NoUnitControl(opts.unit);
  return new DirectUnitControl({ catalog: opts.catalog, unit: opts.unit, scope: 'system', dropInRoot: opts.dropInRoot, systemctlCommand: opts.systemctlCommand });
}

/** Refuses every unit operation with `unsupported`; lets protocol tests run where systemd is absent. */
class NoUnitControl implements UnitControl {
  constructor(readonly unit: string) {}
  selectModel(): Promise<void> {
    return this.refuse();
  }
  start(): Promise<void> {
    return this.refuse();
  }
  stop(): Promise<void> {
    return this.refuse();
  }
  restart(): Promise<void> {
    return this.refuse();
  }
  resetFailed(): Promise<void> {
    return this.refuse();
  }
  show(): Promise<UnitState> {
    return this.refuse();
  }
  private refuse(): Promise<never> {
    return Promise.reject(new HelperError('unsupported', `no unit control (the helper was started with --unit-control none); ${this.unit} is untouched`));
  }
}
