import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiHub } from '../api/api-hub.js';
import { errorMessage, pinnedBlockers } from './api-errors.js';

/** The call the Models screen has out: a switch to a model, an unload of one, or stopping everything. */
export type ModelsAction = { kind: 'switch'; model: string } | { kind: 'unload'; model: string } | { kind: 'stop' };

/** Why the last action failed; `pinned` names the pinned models that refused it (a `conflict`). */
export interface ModelsActionError {
  message: string;
  pinned: string[];
}

export interface ModelsStoreState {
  /** The action whose call is out, if any. */
  busy: ModelsAction | null;
  actionError: ModelsActionError | null;
  /** Starts a switch and returns once it is queued (the Switch screen follows it). */
  switchTo(modelId: string): Promise<void>;
  /** Unloads one model after its in-flight requests finish; the other slots keep serving. */
  unload(modelId: string): Promise<void>;
  /** Stops every slot. */
  stop(): Promise<void>;
  clearError(): void;
}

export type ModelsStore = StoreApi<ModelsStoreState>;

/** True while the call out is a `kind` action (for switch and unload: of `model`). */
export function isBusyWith(busy: ModelsAction | null, kind: ModelsAction['kind'], model?: string): boolean {
  if (!busy || busy.kind !== kind) return false;
  return busy.kind === 'stop' || busy.model === model;
}

/** The Models screen's actions on the engine: switch, unload and stop. Model states come from the engine store. */
export function createModelsStore(hub: ApiHub): ModelsStore {
  return createStore<ModelsStoreState>()((set) => {
    async function run(busy: ModelsAction, action: () => Promise<unknown>): Promise<void> {
      set({ busy, actionError: null });
      try {
        await action();
      } catch (err) {
        set({ actionError: { message: errorMessage(err), pinned: pinnedBlockers(err) } });
      } finally {
        set({ busy: null });
      }
    }
    return {
      busy: null,
      actionError: null,
      switchTo: (model) => run({ kind: 'switch', model }, () => hub.call('models.switchTo', { model, wait: false })),
      unload: (model) => run({ kind: 'unload', model }, () => hub.call('models.unload', { model })),
      stop: () => run({ kind: 'stop' }, () => hub.call('models.stop', {})),
      clearError: () => set({ actionError: null }),
    };
  });
}
