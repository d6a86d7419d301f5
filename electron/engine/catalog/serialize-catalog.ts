import { Document, isScalar, visit, type Node } from 'yaml';
import type { CatalogInput } from '../../../shared/catalog-schema.js';

/** How catalog YAML is written: no line folding, `[1, 2]` rather than `[ 1, 2 ]`. */
export const YAML_OPTIONS = { lineWidth: 0, flowCollectionPadding: false } as const;

/** YAML text for a catalog: block style, short lists of scalars inline (`gpus: [1, 2]`). */
export function serializeCatalog(input: CatalogInput): string {
  const doc = new Document(input);
  styleCatalogNodes(doc);
  return doc.toString(YAML_OPTIONS);
}

/** Puts lists of scalars in flow style and everything else in block style, as people write them. */
export function styleCatalogNodes(doc: Document | Node): void {
  visit(doc, {
    Seq(_, seq) {
      seq.flow = seq.items.length > 0 && seq.items.every((item) => isScalar(item));
    },
    Map(_, map) {
      map.flow = false;
    },
  });
}
