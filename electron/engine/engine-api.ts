import type { Catalog } from '../../shared/catalog-schema.js';
import type { EngineEvent, EngineState, LogLine, SlotView, SwitchCause } from '../../shared/engine-state.js';

/**
 * What the engine offers to its hosts (the `serve` HTTP API, later the router, IPC and WebSocket).
 * Created by `createEngine()` in engine.ts.
 */
export interface Engine {
  /** A snapshot of every slot and model. Cheap; never triggers work. */
  state(): EngineState;
  /** The validated catalog in use. */
  catalog(): Catalog;
  /**
   * Resolves a model id or alias and waits until that model is ready (joining a load under way,
   * queueing FIFO behind a switch to another model). Rejects with an EngineError:
   * `unknown_model` (details.known lists the ids) or `load_failed` (details.failure).
   */
  ensureReady(modelIdOrAlias: string, cause: SwitchCause): Promise<SlotView>;
  /** Stops the backend (waits for the stop to finish). Pending switches are rejected. */
  stop(cause: SwitchCause): Promise<void>;
  /** The last `tail` backend log lines, oldest first. */
  logs(tail: number): LogLine[];
  /** Subscribes to engine events; returns the unsubscribe function. */
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** Stops the backend and releases everything. */
  close(): Promise<void>;
}
