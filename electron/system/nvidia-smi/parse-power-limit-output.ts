// What `nvidia-smi [-i <gpu>] -pl <W>` printed. Exit codes lie (not-supported exits 0), so the text decides.
// Terminals wrap these long lines and pad them with spaces, even mid-word; matching runs on the text with all
// whitespace removed, so no wrap point can break a match.

/** A GPU whose limit changed. */
export interface PowerLimitChange {
  busId: string;
  powerLimitW: number;
  previousW: number;
}

/** Why the limit was not applied. `out-of-range` carries the GPU's bounds as nvidia-smi stated them. */
export type PowerLimitError =
  | { kind: 'out-of-range'; busId: string; requestedW: number; minW: number; maxW: number }
  | { kind: 'insufficient-permissions'; busId: string }
  | { kind: 'not-supported'; busId: string }
  | { kind: 'unrecognized'; message: string };

/** Everything the output says. `ok` only when some limit changed and nothing failed. */
export interface PowerLimitReport {
  ok: boolean;
  changes: PowerLimitChange[];
  errors: PowerLimitError[];
  /** "persistence mode is disabled …": the limit resets when the driver unloads. */
  persistenceModeOff: boolean;
  /** The closing `All done.` (also printed after a not-supported warning). */
  allDone: boolean;
  /** `Terminating early due to previous errors.` */
  terminatedEarly: boolean;
}

const BUS = '([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\\.[0-7])';
const NUM = '(\\d+(?:\\.\\d+)?)';
const CHANGED = new RegExp(`PowerlimitforGPU${BUS}wassetto${NUM}Wfrom${NUM}W`, 'g');
const OUT_OF_RANGE = new RegExp(`Providedpowerlimit${NUM}Wisnotavalidpowerlimitwhichshouldbebetween${NUM}Wand${NUM}WforGPU${BUS}`, 'g');
const NO_PERMISSION = new RegExp(`FailedtosetpowermanagementlimitforGPU${BUS}:InsufficientPermissions`, 'g');
// Newer drivers add "in current scope" (seen on a GB10, no capture yet).
const NOT_SUPPORTED = new RegExp(`Changingpowermanagementlimitisnotsupported(?:incurrentscope)?forGPU:?${BUS}`, 'g');

/** Reads -pl output (stdout and stderr together). */
export function parsePowerLimitOutput(text: string): PowerLimitReport {
  const squashed = text.replace(/\s+/g, '');
  // Every capture group in these patterns is mandatory, so each match has all of them (hence the `!`s).
  const changes = [...squashed.matchAll(CHANGED)].map((m) => ({ busId: m[1]!, powerLimitW: Number(m[2]), previousW: Number(m[3]) }));
  const errors: PowerLimitError[] = [
    ...[...squashed.matchAll(OUT_OF_RANGE)].map((m) => ({
      kind: 'out-of-range' as const,
      busId: m[4]!,
      requestedW: Number(m[1]),
      minW: Number(m[2]),
      maxW: Number(m[3]),
    })),
    ...[...squashed.matchAll(NO_PERMISSION)].map((m) => ({ kind: 'insufficient-permissions' as const, busId: m[1]! })),
    ...[...squashed.matchAll(NOT_SUPPORTED)].map((m) => ({ kind: 'not-supported' as const, busId: m[1]! })),
  ];
  if (changes.length === 0 && errors.length === 0 && squashed !== '') {
    errors.push({ kind: 'unrecognized', message: text.replace(/\s+/g, ' ').trim() });
  }
  return {
    ok: changes.length > 0 && errors.length === 0,
    changes,
    errors,
    persistenceModeOff: /persistencemodeisdisabled/i.test(squashed),
    allDone: /Alldone\./.test(squashed),
    terminatedEarly: /Terminatingearlyduetopreviouserrors/.test(squashed),
  };
}
