import type { Catalog } from '../../../shared/catalog-schema.js';
import type { Settings } from '../../../shared/switchboard-api.js';
import { SWITCHBOARD_VERSION } from '../../../shared/version.js';
import { DEFAULT_MAX_SLEEPERS, DEFAULT_SLEEP_TIMEOUT_S } from '../../../shared/catalog-constants.js';

/** The engine-wide settings the UI shows, from a catalog. */
export function settingsOf(catalog: Catalog, configPath: string): Settings {
  const { router, backend, gpu } = catalog;
  return {
    configPath,
    version: SWITCHBOARD_VERSION,
    router: { host: router.host, port: router.port, loadingMessages: router.loadingMessages, apiKeyCount: router.apiKeys.length, adminKeyCount: router.adminKeys.length },
    backend: {
      kind: backend.kind,
      ...(backend.kind === 'systemd' ? { unit: backend.unit } : {}),
      drainTimeoutS: backend.drainTimeoutS,
      readyTimeoutS: backend.readyTimeoutS,
      stopTimeoutS: backend.stopTimeoutS,
      maxSleepers: backend.maxSleepers ?? DEFAULT_MAX_SLEEPERS,
      sleepTimeoutS: backend.sleepTimeoutS ?? DEFAULT_SLEEP_TIMEOUT_S,
    },
    gpu: { presetsW: gpu.presetsW, sampleIntervalMs: gpu.sampleIntervalMs, historyS: gpu.historyS },
  };
}

/**
 * Settings a running engine reads once at start (sockets bound, backend and GPU monitor created): a
 * change to any of them takes effect only after a restart. Everything else (models, sglang, timeouts,
 * loading messages, power presets, keys and the access lists of `router`) applies to the next request
 * or launch.
 */
const RESTART_FIELDS = [
  ['router', 'host'],
  ['router', 'port'],
  ['backend', 'kind'],
  ['backend', 'host'],
  ['backend', 'port'],
  ['backend', 'unit'],
  ['backend', 'scope'],
  ['gpu', 'nvidiaSmiPath'],
  ['gpu', 'sampleIntervalMs'],
  ['gpu', 'historyS'],
] as const;

/** The fields ("router.port", …) that differ between two catalogs and need an engine restart. */
export function listRestartFields(running: Catalog, next: Catalog): string[] {
  return RESTART_FIELDS.filter(([section, key]) => {
    const a = (running[section] as Record<string, unknown>)[key];
    const b = (next[section] as Record<string, unknown>)[key];
    return JSON.stringify(a) !== JSON.stringify(b);
  }).map(([section, key]) => `${section}.${key}`);
}
