import { z } from 'zod';
import { catalogSchema } from '../../../shared/catalog-schema.js';

/** The file name of the catalog's JSON Schema next to the compiled CLI (out/node/, in the package too). */
export const CATALOG_SCHEMA_FILE = 'switchboard.schema.json';

/**
 * The catalog's JSON Schema (draft 2020-12), generated from the zod schema the engine validates with
 * (zod's own `toJSONSchema`, input side: fields with defaults are optional), for editors that complete
 * and check YAML (`# yaml-language-server: $schema=…`). Checks zod runs in code (cross-field rules,
 * files, GPUs) are not in it: the engine still reports those.
 */
export function catalogJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(catalogSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'SGLang Switchboard catalog (switchboard.yaml)' };
}
