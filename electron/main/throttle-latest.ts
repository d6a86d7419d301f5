export interface ThrottleTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const REAL_TIMERS: ThrottleTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

/** A throttled function plus a way to stop its pending call. */
export interface LatestThrottle<T> {
  (value: T): void;
  cancel(): void;
}

/**
 * Calls `apply` with the newest value at most once per `intervalMs`: the first value at once,
 * values arriving within the interval coalesced to the last one, applied when it ends. The tray
 * uses it for state events (up to ten a second during a load) so its menu is rebuilt calmly.
 */
export function throttleLatest<T>(apply: (value: T) => void, intervalMs: number, timers: ThrottleTimers = REAL_TIMERS): LatestThrottle<T> {
  let lastRunMs = -Infinity;
  let timer: unknown = null;
  let pending: { value: T } | null = null;
  const run = (): void => {
    timer = null;
    if (!pending) return;
    const { value } = pending;
    pending = null;
    lastRunMs = timers.now();
    apply(value);
  };
  const throttled = ((value: T) => {
    pending = { value };
    if (timer !== null) return;
    const waitMs = lastRunMs + intervalMs - timers.now();
    if (waitMs <= 0) run();
    else timer = timers.setTimeout(run, waitMs);
  }) as LatestThrottle<T>;
  throttled.cancel = () => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = null;
    pending = null;
  };
  return throttled;
}
