import { createStore, type StoreApi } from 'zustand/vanilla';
import type { CatalogChangePreview, CatalogDocument } from '../../../shared/switchboard-api.js';
import type { ApiHub } from '../api/api-hub.js';
import { errorMessage, isConflict } from './api-errors.js';

export interface CatalogStoreState {
  /** The catalog file as last read; null before the first `catalog.get`. */
  document: CatalogDocument | null;
  loadError: string | null;
  /** A model being removed: its id, the preview of the removal, the outcome. */
  removal: { id: string; preview: CatalogChangePreview | null; error: string | null; conflict: boolean; busy: boolean } | null;
  load(): Promise<CatalogDocument | null>;
  /** Takes a document returned by a write (catalog.apply, import). */
  setDocument(document: CatalogDocument): void;
  startRemove(id: string): Promise<void>;
  confirmRemove(): Promise<boolean>;
  cancelRemove(): void;
  dispose(): void;
}

export type CatalogStore = StoreApi<CatalogStoreState>;

/** The catalog document the editor works on; re-read when the engine says the file was rewritten. */
export function createCatalogStore(hub: ApiHub): CatalogStore {
  const store = createStore<CatalogStoreState>()((set, get) => ({
    document: null,
    loadError: null,
    removal: null,
    async load() {
      try {
        const document = await hub.call('catalog.get', {});
        set({ document, loadError: null });
        return document;
      } catch (err) {
        set({ loadError: errorMessage(err) });
        return null;
      }
    },
    setDocument(document) {
      set({ document, loadError: null });
    },
    async startRemove(id) {
      set({ removal: { id, preview: null, error: null, conflict: false, busy: true } });
      try {
        const preview = await hub.call('catalog.preview', { change: { op: 'remove', id } });
        if (get().removal?.id === id) set({ removal: { id, preview, error: null, conflict: false, busy: false } });
      } catch (err) {
        if (get().removal?.id === id) set({ removal: { id, preview: null, error: errorMessage(err), conflict: false, busy: false } });
      }
    },
    async confirmRemove() {
      const removal = get().removal;
      if (!removal || removal.busy) return false;
      set({ removal: { ...removal, busy: true, error: null } });
      try {
        const expectedRevision = removal.preview?.revision ?? get().document?.revision;
        const result = await hub.call('catalog.apply', { change: { op: 'remove', id: removal.id }, ...(expectedRevision ? { expectedRevision } : {}) });
        set({ document: result.document, removal: null });
        return true;
      } catch (err) {
        set({ removal: { ...removal, busy: false, error: errorMessage(err), conflict: isConflict(err) } });
        return false;
      }
    },
    cancelRemove() {
      set({ removal: null });
    },
    dispose() {
      offCatalog();
    },
  }));
  // Our own writes come back as this event too; the revision tells them apart.
  const offCatalog = hub.on('catalog', (event) => {
    if (event.revision !== store.getState().document?.revision) void store.getState().load();
  });
  return store;
}
