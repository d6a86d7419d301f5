import type { Catalog } from '../../../shared/catalog-schema.js';
import { EngineError } from '../../../shared/engine-error.js';

/** The canonical id for a model id or alias, or null when the catalog has neither. */
export function resolveModelId(catalog: Catalog, idOrAlias: string): string | null {
  const model = catalog.models.find((m) => m.id === idOrAlias) ?? catalog.models.find((m) => m.aliases.includes(idOrAlias));
  return model?.id ?? null;
}

/** The error the engine also gives for an unknown id: lists the known ids in message and details. */
export function unknownModelError(catalog: Catalog, idOrAlias: string): EngineError {
  const known = catalog.models.map((m) => m.id);
  const list = known.length > 0 ? known.join(', ') : '(the catalog has no models)';
  return new EngineError('unknown_model', `unknown model "${idOrAlias}"; known: ${list}`, { known });
}
