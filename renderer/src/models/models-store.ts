import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiHub } from '../api/api-hub.js';
import { errorMessage } from './api-errors.js';

export interface ModelsStoreState {
  /** The model a switch was just asked for, or 'stop', while the call is out. */
  busy: string | null;
  actionError: string | null;
  /** Starts a switch and returns once it is queued (the Switch screen follows it). */
  switchTo(modelId: string): Promise<void>;
  stop(): Promise<void>;
  clearError(): void;
}

export type ModelsStore = StoreApi<ModelsStoreState>;

/** The Models screen's actions on the engine: switch and stop. Model states come from the engine store. */
export function createModelsStore(hub: ApiHub): ModelsStore {
  return createStore<ModelsStoreState>()((set) => {
    async function run(busy: string, action: () => Promise<unknown>): Promise<void> {
      set({ busy, actionError: null });
      try {
        await action();
      } catch (err) {
        set({ actionError: errorMessage(err) });
      } finally {
        set({ busy: null });
      }
    }
    return {
      busy: null,
      actionError: null,
      switchTo: (modelId) => run(modelId, () => hub.call('models.switchTo', { model: modelId, wait: false })),
      stop: () => run('stop', () => hub.call('models.stop', {})),
      clearError: () => set({ actionError: null }),
    };
  });
}
