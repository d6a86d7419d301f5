// What createEngine builds before the engine itself: the backend, the histories and the GPU side.

import { join } from 'node:path';
import type { Catalog } from '../../shared/catalog-schema.js';
import type { ProcessBackend } from './backends/process-backend.js';
import { ChildProcessBackend } from './backends/child-process-backend.js';
import type { SystemdAccessOptions } from './backends/systemd/create-unit-control.js';
import { BenchHistory } from './bench/bench-history.js';
import type { CreateEngineOptions } from './engine.js';
import { GpuMonitor } from './gpu/gpu-monitor.js';
import { GpuPowerControl } from './gpu/gpu-power-control.js';
import { createPowerLimits } from './gpu/power-limits.js';
import { LoadHistory } from './switcher/load-history.js';
import { SwapHistory } from './switcher/swap-history.js';
import { LazySystemdBackend } from './backends/systemd/lazy-backend.js';
import { EngineNotices } from './engine-notices.js';

export interface EngineParts {
  /** The backend of one slot: the child-process backend serves every slot; systemd has a unit per slot. */
  backendFor(slotId: string): ProcessBackend;
  swaps: SwapHistory;
  history: LoadHistory;
  benchHistory: BenchHistory;
  /** Null when GPU monitoring is off. */
  monitor: GpuMonitor | null;
  power: GpuPowerControl;
}

/**
 * Opens the histories, creates the backend, and starts the GPU monitor (its probe is awaited).
 * `currentCatalog` is what the backend reads at each launch (the engine's catalog after a replace).
 */
export async function createEngineParts(options: CreateEngineOptions, currentCatalog: () => Catalog = () => options.catalog, notices: EngineNotices = new EngineNotices(() => undefined)): Promise<EngineParts> {
  const stateFile = (name: string) => (options.stateDir ? join(options.stateDir, name) : null);
  const history = await LoadHistory.open(stateFile('load-history.jsonl'));
  const benchHistory = await BenchHistory.open(stateFile('bench-history.jsonl'));
  const swaps = await SwapHistory.open(stateFile('swap-history.jsonl'), (message) => console.error(message));
  const backendFor = options.backend ? () => options.backend! : await createBackendFactory(options.catalog, currentCatalog, options.systemd);
  const monitor = createMonitor(options);
  await monitor?.start();
  return { backendFor, swaps, history, benchHistory, monitor, power: createPowerControl(options, monitor) };
}

function createMonitor({ gpuMonitor, catalog, gpuTopology }: CreateEngineOptions): GpuMonitor | null {
  if (gpuMonitor === false) return null;
  if (gpuMonitor instanceof GpuMonitor) return gpuMonitor;
  const { nvidiaSmiPath, sampleIntervalMs, historyS } = catalog.gpu;
  return new GpuMonitor({ nvidiaSmiPath, sampleIntervalMs, historyS, topology: gpuTopology });
}

/** The power-limit port is created on first use: most engines never change a limit. */
function createPowerControl(options: CreateEngineOptions, monitor: GpuMonitor | null): GpuPowerControl {
  const lookup = { latest: () => monitor?.latest() ?? [], findGpu: (id: string) => monitor?.findGpu(id) };
  return new GpuPowerControl(lookup, async () =>
    options.powerLimits ??
    createPowerLimits({
      isRoot: options.systemd?.isRoot,
      helperSocketPath: options.systemd?.helperSocketPath,
      nvidiaSmiPath: options.catalog.gpu.nvidiaSmiPath,
      stateDir: options.stateDir,
    }),
  );
}

/**
 * The child-process backend serves every slot. The systemd backend drives one unit per slot: the
 * configured unit when it is a plain one (then every model shares one slot: the catalog check
 * refuses several GPU sets), or `name@<slot>.service` of a template unit `name@.service`.
 */
async function createBackendFactory(catalog: Catalog, currentCatalog: () => Catalog, systemd: SystemdAccessOptions | undefined): Promise<(slotId: string) => ProcessBackend> {
  if (catalog.backend.kind !== 'systemd') {
    const backend = new ChildProcessBackend();
    return () => backend;
  }
  // Loaded on demand: node-pty is a native module that only the systemd backend needs.
  const { createUnitControl } = await import('./backends/systemd/create-unit-control.js');
  const { SystemdBackend } = await import('./backends/systemd/systemd-backend.js');
  const backends = new Map<string, ProcessBackend>();
  const template = /^(.+)@\.service$/.exec(catalog.backend.unit);
  const single = template ? undefined : new SystemdBackend({ control: await createUnitControl(currentCatalog, systemd), scope: catalog.backend.scope, journalctlCommand: systemd?.journalctlCommand });
  if (single) return () => single;
  // One control per slot, created on the slot's first use; each reads the catalog with its instance unit.
  return (slotId: string) => {
    let backend = backends.get(slotId);
    if (!backend) {
      const unit = `${template![1]}@${slotId}.service`;
      const withUnit = () => ({ ...currentCatalog(), backend: { ...currentCatalog().backend, unit } });
      backend = new LazySystemdBackend(() => createUnitControl(withUnit, systemd).then((control) => new SystemdBackend({ control, scope: catalog.backend.scope, journalctlCommand: systemd?.journalctlCommand })));
      backends.set(slotId, backend);
    }
    return backend;
  };
}
