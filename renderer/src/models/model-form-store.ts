import { createStore, type StoreApi } from 'zustand/vanilla';
import type { CatalogIssue, ModelEntryInput } from '../../../shared/catalog-schema.js';
import type { CatalogChange, CatalogChangePreview } from '../../../shared/switchboard-api.js';
import type { ApiHub } from '../api/api-hub.js';
import { errorMessage, isConflict, issuesOf, saveErrorMessage } from './api-errors.js';
import type { CatalogStore } from './catalog-store.js';
import { draftFromEntry, draftToInput, emptyDraft, type LocalIssues, type ModelDraft } from './model-draft.js';

/** Shown when a write is refused because the file changed since the form opened it. */
export const CONFLICT_MESSAGE = 'The catalog file changed on disk since you opened it. Reload it to see the change against the new file, then save again.';

export interface ModelFormState {
  open: boolean;
  mode: 'add' | 'edit';
  /** The id of the entry being edited (the draft's id may rename it). */
  editId: string | null;
  draft: ModelDraft;
  /** Fields the form could not parse (not sent; saving waits for them). */
  localIssues: LocalIssues;
  /** The engine's check of the draft: issues per field, the YAML diff. */
  preview: CatalogChangePreview | null;
  previewing: boolean;
  previewError: string | null;
  step: 'edit' | 'review';
  /** The revision of the document the form opened; sent as expectedRevision. */
  baseRevision: string | null;
  saving: boolean;
  saveError: string | null;
  saveIssues: CatalogIssue[];
  conflict: boolean;
  /** The last save, for a short confirmation. */
  saved: { id: string; restartRequired: string[] } | null;
  openAdd(): Promise<void>;
  openEdit(id: string): Promise<void>;
  close(): void;
  setField<K extends keyof ModelDraft>(field: K, value: ModelDraft[K]): void;
  /** Checks the draft now and moves to the diff when it can be saved. */
  review(): Promise<void>;
  back(): void;
  save(): Promise<boolean>;
  /** After a conflict: re-reads the file and previews the same draft against it. */
  reloadAfterConflict(): Promise<void>;
}

export type ModelFormStore = StoreApi<ModelFormState>;

export interface ModelFormOptions {
  /** Quiet time after typing before the draft is checked (`catalog.preview`). */
  debounceMs?: number;
}

/** The Add/Edit model form: draft, inline checks as you type, review of the YAML diff, save guarded by revision. */
export function createModelFormStore(hub: ApiHub, catalog: CatalogStore, options: ModelFormOptions = {}): ModelFormStore {
  const debounceMs = options.debounceMs ?? 350;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let previewSeq = 0;
  let kept: Partial<ModelEntryInput> = {};

  const store = createStore<ModelFormState>()((set, get) => {
    function change(): CatalogChange {
      const { mode, editId } = get();
      const editing = mode === 'edit' && editId !== null;
      const { model } = draftToInput(get().draft, kept, { includeDefaults: editing });
      return editing ? { op: 'edit', id: editId, model } : { op: 'add', model };
    }

    async function runPreview(): Promise<void> {
      clearTimeout(timer);
      timer = undefined;
      const seq = ++previewSeq;
      set({ previewing: true });
      try {
        const preview = await hub.call('catalog.preview', { change: change() });
        if (seq !== previewSeq || !get().open) return;
        const stale = get().baseRevision !== null && preview.revision !== get().baseRevision;
        set({ preview, previewing: false, previewError: null, ...(stale ? { conflict: true, saveError: CONFLICT_MESSAGE } : {}) });
      } catch (err) {
        if (seq === previewSeq) set({ previewing: false, previewError: errorMessage(err) });
      }
    }

    async function document() {
      return catalog.getState().document ?? (await catalog.getState().load());
    }

    function opened(mode: 'add' | 'edit', editId: string | null, draft: ModelDraft, revision: string | null): Partial<ModelFormState> {
      return {
        open: true,
        mode,
        editId,
        draft,
        localIssues: draftToInput(draft, kept).issues,
        preview: null,
        previewing: false,
        previewError: null,
        step: 'edit',
        baseRevision: revision,
        saving: false,
        saveError: null,
        saveIssues: [],
        conflict: false,
        saved: null,
      };
    }

    return {
      open: false,
      mode: 'add',
      editId: null,
      draft: emptyDraft(),
      localIssues: {},
      preview: null,
      previewing: false,
      previewError: null,
      step: 'edit',
      baseRevision: null,
      saving: false,
      saveError: null,
      saveIssues: [],
      conflict: false,
      saved: null,
      async openAdd() {
        const doc = await document();
        kept = {};
        set(opened('add', null, emptyDraft(), doc?.revision ?? null));
      },
      async openEdit(id) {
        const doc = await document();
        const entry = doc?.models.find((m) => m.id === id);
        if (!doc || !entry) return;
        const form = draftFromEntry(entry);
        kept = form.kept;
        set(opened('edit', id, form.draft, doc.revision));
        await runPreview();
      },
      close() {
        clearTimeout(timer);
        previewSeq++;
        set({ open: false, step: 'edit', preview: null });
      },
      setField(field, value) {
        const draft = { ...get().draft, [field]: value };
        set({ draft, localIssues: draftToInput(draft, kept).issues, step: 'edit' });
        clearTimeout(timer);
        timer = setTimeout(() => void runPreview(), debounceMs);
      },
      async review() {
        await runPreview();
        const { preview, localIssues } = get();
        if (preview?.ok && Object.keys(localIssues).length === 0) set({ step: 'review' });
      },
      back() {
        set({ step: 'edit', saveError: get().conflict ? get().saveError : null, saveIssues: [] });
      },
      async save() {
        if (get().saving || get().conflict) return false;
        set({ saving: true, saveError: null, saveIssues: [] });
        const { baseRevision } = get();
        const id = get().draft.id.trim();
        try {
          const result = await hub.call('catalog.apply', { change: change(), ...(baseRevision ? { expectedRevision: baseRevision } : {}) });
          catalog.getState().setDocument(result.document);
          set({ saving: false, open: false, step: 'edit', saved: { id, restartRequired: result.restartRequired } });
          return true;
        } catch (err) {
          const conflict = isConflict(err);
          set({ saving: false, conflict, saveError: conflict ? CONFLICT_MESSAGE : saveErrorMessage(err), saveIssues: issuesOf(err) });
          return false;
        }
      },
      async reloadAfterConflict() {
        const doc = await catalog.getState().load();
        if (!doc) return;
        set({ baseRevision: doc.revision, conflict: false, saveError: null, saveIssues: [] });
        await runPreview();
        if (!get().preview?.ok) set({ step: 'edit' });
      },
    };
  });
  return store;
}
