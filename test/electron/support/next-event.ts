import type { ApiEvent } from '../../../shared/switchboard-api.js';
import type { EngineHost } from '../../../electron/main/start-engine-host.js';

/** Resolves with the first event of `host` that `pick` accepts (and stops listening). */
export function nextEvent<T>(host: EngineHost, pick: (event: ApiEvent) => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    const stop = host.subscribe((event) => {
      const picked = pick(event);
      if (picked === undefined) return;
      stop();
      resolve(picked);
    });
  });
}
