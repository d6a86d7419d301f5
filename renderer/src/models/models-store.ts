import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FitEstimate } from '../../../shared/fit-estimate.js';
import type { ApiHub } from '../api/api-hub.js';
import { errorCode, errorMessage, pinnedBlockers } from './api-errors.js';

/** The call the Models screen has out: a switch to a model, an unload of one, or stopping everything. */
export type ModelsAction = { kind: 'switch'; model: string } | { kind: 'unload'; model: string } | { kind: 'stop' };

/**
 * Why the last action failed; `pinned` names the pinned models that refused it (a `conflict`);
 * `forceModel` is the model of a switch the fit estimate refused (`will_not_fit`), which may be forced.
 */
export interface ModelsActionError {
  message: string;
  pinned: string[];
  forceModel?: string;
}

export interface ModelsStoreState {
  /** The action whose call is out, if any. */
  busy: ModelsAction | null;
  actionError: ModelsActionError | null;
  /** Starts a switch and returns once it is queued (the Switch screen follows it); `force` skips the fit check. */
  switchTo(modelId: string, options?: { force?: boolean }): Promise<void>;
  /** Unloads one model after its in-flight requests finish; the other slots keep serving. */
  unload(modelId: string): Promise<void>;
  /** Stops every slot. */
  stop(): Promise<void>;
  clearError(): void;
  /** The fit estimate per model id (`models.fit`); absent until asked, null when the engine has none. */
  fits: Record<string, FitEstimate | null>;
  /** Asks the engine for the model's fit estimate; a failed call leaves the row without a verdict. */
  refreshFit(modelId: string): Promise<void>;
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
        const forceable = busy.kind === 'switch' && errorCode(err) === 'will_not_fit';
        set({ actionError: { message: errorMessage(err), pinned: pinnedBlockers(err), ...(forceable ? { forceModel: busy.model } : {}) } });
      } finally {
        set({ busy: null });
      }
    }
    return {
      busy: null,
      actionError: null,
      switchTo: (model, options = {}) => run({ kind: 'switch', model }, () => hub.call('models.switchTo', { model, wait: false, ...(options.force ? { force: true } : {}) })),
      unload: (model) => run({ kind: 'unload', model }, () => hub.call('models.unload', { model })),
      stop: () => run({ kind: 'stop' }, () => hub.call('models.stop', {})),
      clearError: () => set({ actionError: null }),
      fits: {},
      refreshFit: async (model) => {
        try {
          const fit = await hub.call('models.fit', { model });
          set((s) => ({ fits: { ...s.fits, [model]: fit } }));
        } catch {
          // An older engine without models.fit, or the model just removed: no verdict.
        }
      },
    };
  });
}
