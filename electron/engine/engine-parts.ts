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

export interface EngineParts {
  backend: ProcessBackend;
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
export async function createEngineParts(options: CreateEngineOptions, currentCatalog: () => Catalog = () => options.catalog): Promise<EngineParts> {
  const stateFile = (name: string) => (options.stateDir ? join(options.stateDir, name) : null);
  const history = await LoadHistory.open(stateFile('load-history.jsonl'));
  const benchHistory = await BenchHistory.open(stateFile('bench-history.jsonl'));
  const backend = options.backend ?? (await createBackend(options.catalog, currentCatalog, options.systemd));
  const monitor = createMonitor(options);
  await monitor?.start();
  return { backend, history, benchHistory, monitor, power: createPowerControl(options, monitor) };
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

async function createBackend(catalog: Catalog, currentCatalog: () => Catalog, systemd: SystemdAccessOptions | undefined): Promise<ProcessBackend> {
  if (catalog.backend.kind !== 'systemd') return new ChildProcessBackend();
  // Loaded on demand: node-pty is a native module that only the systemd backend needs.
  const { createUnitControl } = await import('./backends/systemd/create-unit-control.js');
  const { SystemdBackend } = await import('./backends/systemd/systemd-backend.js');
  const control = await createUnitControl(currentCatalog, systemd);
  return new SystemdBackend({ control, scope: catalog.backend.scope, journalctlCommand: systemd?.journalctlCommand });
}
