import { create } from 'zustand';
import type { EngineState, ModelView } from '../../../shared/engine-state.js';
import type { ConnectionDetail } from '../../../shared/switchboard-api.js';
import type { ApiHub } from '../api/api-hub.js';

/** The engine connection as the banner shows it. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface EngineStoreState {
  /** The latest engine state (`state.get`, then every `state` event); null until the first arrives. */
  state: EngineState | null;
  connection: ConnectionState;
  /** What the desktop app knows about its engine process while the connection is not open (crashed, restarting…). */
  connectionDetail: ConnectionDetail | null;
  /** Desktop app only: start its engine process again (offered when connectionDetail.canRestart). */
  restartEngine: (() => Promise<void>) | null;
  /** Why the last `state.get` failed, until a state arrives. */
  error: string | null;
  /**
   * Follows one hub: fetches `state.get` now and after every reconnect, takes every `state` event.
   * Calling it again drops the previous hub's subscriptions. Returns the unsubscribe function.
   */
  init(hub: ApiHub): () => void;
  /** Fetches `state.get` again (a no-op before init). */
  refresh(): Promise<void>;
}

/**
 * The shared engine state every screen reads (the shell's header, Models, Switch, GPUs…). Only this
 * store listens to `state` events for the whole app; feature stores keep their own data.
 */
export const useEngineStore = create<EngineStoreState>()((set, get) => {
  let hub: ApiHub | null = null;
  let dispose: (() => void) | null = null;
  // A state.get answer older than an event that arrived meanwhile must not overwrite it.
  let eventsSeen = 0;

  async function refresh(): Promise<void> {
    const current = hub;
    if (!current) return;
    const eventsBefore = eventsSeen;
    try {
      const state = await current.call('state.get', {});
      if (hub === current && eventsSeen === eventsBefore) set({ state, error: null });
    } catch (err) {
      if (hub === current) set({ error: err instanceof Error ? err.message : String(err) });
    }
  }

  return {
    state: null,
    connection: 'connecting',
    connectionDetail: null,
    restartEngine: null,
    error: null,
    refresh,
    init(next) {
      dispose?.();
      hub = next;
      eventsSeen = 0;
      set({ state: null, connection: 'connecting', connectionDetail: null, restartEngine: next.restartEngine ?? null, error: null });
      const offState = next.on('state', (event) => {
        eventsSeen++;
        set({ state: event.state, error: null });
      });
      const offConnection = next.onConnection((connection, detail) => {
        const was = get().connection;
        set({ connection, connectionDetail: connection === 'open' ? null : (detail ?? null) });
        if (connection === 'open' && was !== 'open') void refresh();
      });
      // onConnection may already have reported 'open' (IPC, the fake transport) and refreshed.
      if (get().connection !== 'open') void refresh();
      const own = () => {
        offState();
        offConnection();
        if (hub === next) {
          hub = null;
          dispose = null;
        }
      };
      dispose = own;
      return own;
    },
  };
});

/**
 * Every model loaded and ready (one per slot), in the engine's order; [] without a state. An
 * engine from before multi-model slots sends only `activeModel`.
 */
export function activeModelIds(state: EngineState | null): string[] {
  if (!state) return [];
  return state.activeModels ?? (state.activeModel ? [state.activeModel] : []);
}

/** The first model that is loaded and ready, with its view; null when none (see activeModelIds for all). */
export function selectActiveModel(store: Pick<EngineStoreState, 'state'>): ModelView | null {
  const state = store.state;
  const first = activeModelIds(state)[0];
  if (!state || first === undefined) return null;
  return state.models.find((m) => m.id === first) ?? null;
}

/** The first active model's view (hook form of selectActiveModel). */
export function useActiveModel(): ModelView | null {
  return useEngineStore(selectActiveModel);
}
