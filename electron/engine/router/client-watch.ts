import type { ServerResponse } from 'node:http';

/**
 * Whether the client of a response went away before it was answered, without an AbortController
 * per request: most requests never need one (their model serves at once), so the signal is made
 * only when something asks for it (a wait for a model load).
 */
export class ClientWatch {
  private goneNow = false;
  private controller: AbortController | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(res: ServerResponse) {
    res.once('close', () => {
      if (res.writableFinished) return;
      this.goneNow = true;
      this.controller?.abort();
      for (const listener of this.listeners) listener();
      this.listeners.clear();
    });
  }

  /** True once the client closed the connection before the response was finished. */
  get gone(): boolean {
    return this.goneNow;
  }

  /** Calls `listener` once, when the client goes away; returns the unsubscribe. */
  onGone(listener: () => void): () => void {
    if (this.goneNow) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An AbortSignal that aborts when the client goes away (made on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.goneNow) this.controller.abort();
    }
    return this.controller.signal;
  }
}
