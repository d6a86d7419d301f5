import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ImportScriptsParams, ImportScriptsResult } from '../../../shared/switchboard-api.js';
import type { ApiHub } from '../api/api-hub.js';
import { errorMessage, isConflict } from './api-errors.js';
import type { CatalogStore } from './catalog-store.js';
import { CONFLICT_MESSAGE } from './model-form-store.js';

/** An uploaded start script. */
export interface UploadedScript {
  name: string;
  text: string;
}

export interface ImportScriptsState {
  open: boolean;
  /** Paths on the engine's host, one per line (folders with start_sglang_*.sh, or script files). */
  pathsText: string;
  uploads: UploadedScript[];
  /** The dry run: what each script gave, and the catalog diff. */
  result: ImportScriptsResult | null;
  busy: boolean;
  error: string | null;
  conflict: boolean;
  /** Ids added by the last import. */
  imported: string[] | null;
  openDialog(): void;
  close(): void;
  setPaths(text: string): void;
  addUploads(scripts: UploadedScript[]): void;
  removeUpload(name: string): void;
  /** Runs the import without writing (reports + diff). */
  preview(): Promise<void>;
  /** Writes the merged catalog, guarded by the previewed revision. */
  apply(): Promise<boolean>;
}

export type ImportScriptsStore = StoreApi<ImportScriptsState>;

/** The start-script import dialog: sources, a dry run with per-script notes and the diff, then the import. */
export function createImportScriptsStore(hub: ApiHub, catalog: CatalogStore): ImportScriptsStore {
  return createStore<ImportScriptsState>()((set, get) => {
    function params(apply: boolean): ImportScriptsParams {
      const paths = get()
        .pathsText.split('\n')
        .map((p) => p.trim())
        .filter(Boolean);
      const scripts = get().uploads;
      const expectedRevision = get().result?.preview.revision;
      return {
        apply,
        ...(paths.length > 0 ? { paths } : {}),
        ...(scripts.length > 0 ? { scripts } : {}),
        ...(apply && expectedRevision ? { expectedRevision } : {}),
      };
    }
    const changed = { result: null, error: null, conflict: false };
    return {
      open: false,
      pathsText: '',
      uploads: [],
      result: null,
      busy: false,
      error: null,
      conflict: false,
      imported: null,
      openDialog: () => set({ open: true, pathsText: '', uploads: [], imported: null, ...changed }),
      close: () => set({ open: false }),
      setPaths: (pathsText) => set({ pathsText, ...changed }),
      addUploads: (scripts) => {
        const names = new Set(scripts.map((s) => s.name));
        set({ uploads: [...get().uploads.filter((u) => !names.has(u.name)), ...scripts], ...changed });
      },
      removeUpload: (name) => set({ uploads: get().uploads.filter((u) => u.name !== name), ...changed }),
      async preview() {
        const p = params(false);
        if (!p.paths && !p.scripts) return set({ error: 'Give at least one path or upload a script.' });
        set({ busy: true, error: null });
        try {
          set({ result: await hub.call('catalog.importScripts', p), busy: false });
        } catch (err) {
          set({ busy: false, error: errorMessage(err) });
        }
      },
      async apply() {
        if (!get().result || get().busy) return false;
        set({ busy: true, error: null });
        try {
          const result = await hub.call('catalog.importScripts', params(true));
          if (result.applied) catalog.getState().setDocument(result.applied.document);
          set({ busy: false, open: false, imported: result.added, result });
          return true;
        } catch (err) {
          const conflict = isConflict(err);
          set({ busy: false, conflict, error: conflict ? CONFLICT_MESSAGE : errorMessage(err) });
          return false;
        }
      },
    };
  });
}
