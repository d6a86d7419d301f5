// The `--query-gpu` fields the sampler asks for, and the alias names nvidia-smi also accepts.

/** Fields asked of every driver, in the order the CSV columns come back. Canonical names (as headers print them). */
export const SAMPLE_FIELDS = [
  'index',
  'uuid',
  'pci.bus_id',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'enforced.power.limit',
  'power.default_limit',
  'power.min_limit',
  'power.max_limit',
  'clocks.current.sm',
  'fan.speed',
  'pstate',
] as const;

/** Appended when the driver lists it: asking for an unknown field makes nvidia-smi refuse the whole query. */
export const POWER_DRAW_INSTANT = 'power.draw.instant';

/**
 * Aliases from `--help-query-gpu` ("uuid" or "gpu_uuid") for the fields this engine reads. CSV headers print the
 * canonical name, so rows are keyed by it whichever spelling was asked for.
 */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  gpu_name: 'name',
  gpu_uuid: 'uuid',
  gpu_bus_id: 'pci.bus_id',
  'clocks.sm': 'clocks.current.sm',
  'gpu.power.draw.average': 'power.draw.average',
  'gpu.power.draw.instant': 'power.draw.instant',
  'gpu.power.requested_limit': 'power.limit',
  'gpu.power.current_limit': 'enforced.power.limit',
  'gpu.power.default_limit': 'power.default_limit',
  'gpu.power.min_limit': 'power.min_limit',
  'gpu.power.max_limit': 'power.max_limit',
};

/** The canonical spelling of a query field name. */
export function canonicalField(name: string): string {
  const trimmed = name.trim();
  return FIELD_ALIASES[trimmed] ?? trimmed;
}

/** The sampler's field list for a driver; `knownNames` is parseHelpQueryGpu(…).names. */
export function sampleFields(knownNames: ReadonlySet<string>): string[] {
  return knownNames.has(POWER_DRAW_INSTANT) ? [...SAMPLE_FIELDS, POWER_DRAW_INSTANT] : [...SAMPLE_FIELDS];
}
