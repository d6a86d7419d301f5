import type { ApiHub } from '../api/api-hub.js';
import { storeForHub } from '../engine/store-for-hub.js';
import { createCatalogStore, type CatalogStore } from './catalog-store.js';
import { createImportScriptsStore, type ImportScriptsStore } from './import-scripts-store.js';
import { createModelFormStore, type ModelFormOptions, type ModelFormStore } from './model-form-store.js';
import { createModelsStore, type ModelsStore } from './models-store.js';

/** The Models screen's stores: actions (switch, stop), the catalog document, the model form, the import dialog. */
export interface ModelsStores {
  actions: ModelsStore;
  catalog: CatalogStore;
  form: ModelFormStore;
  importScripts: ImportScriptsStore;
}

export function createModelsStores(hub: ApiHub, options: ModelFormOptions = {}): ModelsStores {
  const catalog = createCatalogStore(hub);
  return {
    actions: createModelsStore(hub),
    catalog,
    form: createModelFormStore(hub, catalog, options),
    importScripts: createImportScriptsStore(hub, catalog),
  };
}

/** The app-wide instance (kept while other screens are shown). */
export const appModelsStores = storeForHub((hub) => createModelsStores(hub));
