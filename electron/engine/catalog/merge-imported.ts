import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type YAMLSeq } from 'yaml';
import type { ModelEntryInput } from '../../../shared/catalog-schema.js';
import { styleCatalogNodes } from './serialize-catalog.js';

/** The catalog text with entries appended, and what was left out. */
export interface MergeResult {
  text: string;
  added: string[];
  /** Entries not added because a name (id or alias) is already taken. */
  skipped: { id: string; reason: string }[];
}

/**
 * Appends `entries` to the `models` list of a catalog document. The existing text is kept byte
 * for byte (comments, quoting, spacing): new items are spliced in at the end of the list. An
 * entry whose id or alias is already used (by the catalog or an earlier entry) is skipped.
 * Throws when the text is not YAML or not a mapping: merging must not guess.
 */
export function mergeImported(catalogText: string, entries: readonly ModelEntryInput[]): MergeResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(catalogText, { lineCounter });
  const [yamlError] = doc.errors;
  if (yamlError) throw new Error(`cannot merge into a catalog with YAML errors: ${yamlError.message}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new Error('cannot merge: the catalog is not a YAML mapping');
  const models = doc.get('models', true);
  if (models !== undefined && !isSeq(models) && !(isScalar(models) && models.value === null)) {
    throw new Error('cannot merge: "models" is not a list');
  }
  const { accepted, skipped } = pickNewEntries(doc.toJS(), entries);
  const text = accepted.length === 0 ? catalogText : appendEntries(doc, catalogText, lineCounter, accepted);
  return { text, added: accepted.map((e) => e.id), skipped };
}

function pickNewEntries(data: unknown, entries: readonly ModelEntryInput[]) {
  const taken = new Set(existingNames(data));
  const accepted: ModelEntryInput[] = [];
  const skipped: MergeResult['skipped'] = [];
  for (const entry of entries) {
    const names = [entry.id, ...(entry.aliases ?? [])];
    const clash = names.find((n) => taken.has(n));
    if (clash !== undefined) {
      skipped.push({ id: entry.id, reason: `"${clash}" is already used in the catalog` });
      continue;
    }
    names.forEach((n) => taken.add(n));
    accepted.push(entry);
  }
  return { accepted, skipped };
}

function appendEntries(doc: Document, text: string, lineCounter: LineCounter, entries: ModelEntryInput[]): string {
  const padded = usesFlowPadding(doc, text);
  const spliced = spliceEntries(doc, text, lineCounter, (indent) => renderItems(entries, indent, padded));
  const check = spliced === undefined ? undefined : parseDocument(spliced);
  const before = (doc.get('models') as YAMLSeq | null | undefined)?.items?.length ?? 0;
  const after = (check?.get('models') as YAMLSeq | undefined)?.items?.length;
  if (spliced !== undefined && check?.errors.length === 0 && after === before + entries.length) return spliced;
  return rerender(doc, entries, padded);
}

/** Text with the items inserted, or undefined when the list's layout is too unusual to splice into. */
function spliceEntries(doc: Document, text: string, lineCounter: LineCounter, items: (indent: number) => string): string | undefined {
  const models = doc.get('models', true);
  if (models === undefined) {
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    return `${text}${sep}models:\n${items(2)}`;
  }
  const range = (models as YAMLSeq).range;
  if (!range) return undefined;
  if (isSeq(models) && !models.flow && models.items.length > 0) {
    const { line, col } = lineCounter.linePos(range[0]);
    const lineStart = lineCounter.lineStarts[line - 1];
    if (text.slice(lineStart, range[0]).trim() !== '') return undefined;
    const sep = text[range[1] - 1] === '\n' ? '' : '\n';
    return `${text.slice(0, range[1])}${sep}${items(col - 1)}${text.slice(range[1])}`;
  }
  if (isSeq(models) && models.items.length > 0) return undefined;
  // `models:`, `models: ~` or `models: []`: drop the empty value, keep a comment after it.
  const rest = text.slice(range[1], range[2]);
  const keyIndent = indentOfLine(text, lineCounter, range[0]);
  return `${text.slice(0, range[0]).trimEnd()}${rest.endsWith('\n') ? rest : `${rest}\n`}${items(keyIndent + 2)}${text.slice(range[2])}`;
}

function indentOfLine(text: string, lineCounter: LineCounter, offset: number): number {
  const start = lineCounter.lineStarts[lineCounter.linePos(offset).line - 1];
  return /^ */.exec(text.slice(start))![0].length;
}

function renderItems(entries: ModelEntryInput[], indent: number, padded: boolean): string {
  const doc = new Document(entries);
  styleCatalogNodes(doc);
  const pad = ' '.repeat(indent);
  return doc
    .toString({ lineWidth: 0, flowCollectionPadding: padded })
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/** Fallback for odd layouts (a non-empty flow list): re-render the document, comments kept. */
function rerender(doc: Document, entries: ModelEntryInput[], padded: boolean): string {
  const existing = doc.get('models', true);
  const seq = isSeq(existing) ? existing : (doc.createNode([]) as YAMLSeq);
  seq.flow = false;
  for (const entry of entries) {
    const node = doc.createNode(entry);
    styleCatalogNodes(node);
    seq.items.push(node);
  }
  if (seq !== existing) doc.set('models', seq);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: padded });
}

/** New items follow the first non-empty flow list of the file: `[ a ]` or `[a]`. */
function usesFlowPadding(doc: Document, text: string): boolean {
  let padded = false;
  visit(doc, (_, node) => {
    if (isSeq(node) && node.flow && node.items.length > 0 && node.range) {
      padded = text[node.range[0] + 1] === ' ';
      return visit.BREAK;
    }
  });
  return padded;
}

function existingNames(data: unknown): string[] {
  const models = (data as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  return models.flatMap((m: { id?: unknown; aliases?: unknown }) => [
    ...(typeof m?.id === 'string' ? [m.id] : []),
    ...(Array.isArray(m?.aliases) ? m.aliases.filter((a): a is string => typeof a === 'string') : []),
  ]);
}
