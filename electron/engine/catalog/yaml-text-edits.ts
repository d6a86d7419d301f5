// Text edits on YAML that leave every byte outside the edited values as it was: the yaml Document
// gives the node ranges, the new values are rendered with the catalog's style and spliced in.
import { Document, isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { EngineError } from '../../../shared/engine-error.js';
import { styleCatalogNodes } from './serialize-catalog.js';

/** Replace `text[start, end)` with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** A key to set to a value, or to delete (`undefined`). */
export type MapChange = readonly [key: string, value: unknown];

/** A parsed YAML text with the offsets helpers the edits need. */
export class YamlSource {
  readonly doc: Document;
  readonly lineCounter = new LineCounter();
  /** The file writes flow lists as `[ a ]` rather than `[a]`. */
  readonly padded: boolean;
  /** The file writes flow maps as `{ a: 1 }` rather than `{a: 1}`. */
  readonly mapsPadded: boolean;

  /** Throws EngineError('bad_request') when the text is not YAML. */
  constructor(readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter });
    const [yamlError] = this.doc.errors;
    if (yamlError) throw new EngineError('bad_request', `the catalog file has YAML errors: ${yamlError.message}`);
    this.padded = usesFlowPadding(this.doc, text, isSeq);
    this.mapsPadded = usesFlowPadding(this.doc, text, isMap);
  }

  /** Padding for a new flow value: as the value it replaces has it, else as the file writes its kind. */
  paddingFor(value: unknown, replaced?: Node | null): boolean {
    if (isCollection(replaced) && replaced.flow && replaced.items.length > 0 && replaced.range) return this.text[replaced.range[0] + 1] === ' ';
    return isObjectLike(value) && !Array.isArray(value) ? this.mapsPadded : this.padded;
  }

  lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  /** The offset after the newline ending the line that holds `offset`. */
  lineEnd(offset: number): number {
    const nl = this.text.indexOf('\n', offset);
    return nl === -1 ? this.text.length : nl + 1;
  }

  /** 0-based column. */
  column(offset: number): number {
    return offset - this.lineStart(offset);
  }

  /** Nothing but indentation before `offset` on its line. */
  startsLine(offset: number): boolean {
    return this.text.slice(this.lineStart(offset), offset).trim() === '';
  }
}

/** Applies non-overlapping edits; throws when two overlap. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  let out = text;
  let limit = Infinity;
  for (const edit of sorted) {
    if (edit.end > limit || edit.end < edit.start) throw new Error('overlapping text edits');
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
    limit = edit.start;
  }
  return out;
}

/** Edits that set or delete keys of `map`; undefined when its layout is too unusual to edit in place. */
export function editMap(src: YamlSource, map: YAMLMap, changes: readonly MapChange[]): TextEdit[] | undefined {
  if (!map.range) return undefined;
  return map.flow ? editFlowMap(src, map, changes) : editBlockMap(src, map, changes);
}

/** The edit removing item `index` of a block sequence (its comment lines stay); undefined for odd layouts. */
export function removeSeqItem(src: YamlSource, seq: YAMLSeq, index: number): TextEdit | undefined {
  const item = seq.items[index] as Node | undefined;
  if (seq.flow || seq.items.length < 2 || !item?.range) return undefined;
  const lineStart = src.lineStart(item.range[0]);
  if (!/^\s*-\s+$/.test(src.text.slice(lineStart, item.range[0]))) return undefined;
  const end = endOfContent(src, item.range[1]);
  // The last item of a file without a final newline: take the newline before it instead.
  if (end === src.text.length && !src.text.endsWith('\n') && lineStart > 0) return { start: lineStart - 1, end, text: '' };
  return { start: lineStart, end, text: '' };
}

function editBlockMap(src: YamlSource, map: YAMLMap, changes: readonly MapChange[]): TextEdit[] | undefined {
  const edits: TextEdit[] = [];
  const added: string[] = [];
  const pairs = map.items as Pair<Node, Node | null>[];
  for (const [key, value] of changes) {
    const pair = findPair(map, key);
    if (!pair) {
      if (value !== undefined) added.push(renderBlockPair(key, value, src.padded));
      continue;
    }
    const keyRange = pair.key.range;
    if (!keyRange) return undefined;
    const atLineStart = src.startsLine(keyRange[0]);
    if (value === undefined) {
      // The first key of a `- key: …` item shares its line with the dash: left to the fallback.
      if (!atLineStart) return undefined;
      edits.push({ start: src.lineStart(keyRange[0]), end: pairEnd(src, pair), text: '' });
      continue;
    }
    const inline = inlineEdit(src, pair.value, value);
    if (inline) {
      edits.push(inline);
      continue;
    }
    const nested = nestedMapEdits(src, pair.value, value);
    if (nested) {
      edits.push(...nested);
      continue;
    }
    const pad = ' '.repeat(src.column(keyRange[0]));
    const lines = indentLines(renderBlockPair(key, value, src.padded), pad);
    edits.push(atLineStart ? { start: src.lineStart(keyRange[0]), end: pairEnd(src, pair), text: lines } : { start: keyRange[0], end: pairEnd(src, pair), text: lines.slice(pad.length) });
  }
  if (added.length > 0) {
    const last = pairs.at(-1);
    if (!last?.key.range) return undefined;
    const at = pairEnd(src, last);
    const pad = ' '.repeat(src.column(last.key.range[0]));
    const sep = at > 0 && src.text[at - 1] !== '\n' ? '\n' : '';
    edits.push({ start: at, end: at, text: sep + added.map((p) => indentLines(p, pad)).join('') });
  }
  return edits;
}

function editFlowMap(src: YamlSource, map: YAMLMap, changes: readonly MapChange[]): TextEdit[] | undefined {
  const edits: TextEdit[] = [];
  const added: string[] = [];
  const pairs = map.items as Pair<Node, Node | null>[];
  if (pairs.some((p) => !p.key.range || !p.value?.range)) return undefined;
  for (const [key, value] of changes) {
    const index = pairs.findIndex((p) => isScalar(p.key) && String(p.key.value) === key);
    const pair = pairs[index];
    if (pair === undefined) {
      if (value === undefined) continue;
      const rendered = renderInline(value, src.paddingFor(value));
      if (rendered === undefined) return undefined;
      added.push(`${renderInline(key, false)}: ${rendered}`);
      continue;
    }
    const { key: keyNode, value: valueNode } = pair;
    if (value === undefined) {
      // Removed with the separator before it, or (the first pair) with the one after it.
      const before = pairs[index - 1];
      const after = pairs[index + 1];
      if (pairs.length === 1) edits.push({ start: map.range![0], end: map.range![1], text: '{}' });
      else if (before) edits.push({ start: before.value!.range![1], end: valueNode!.range![1], text: '' });
      else if (after) edits.push({ start: keyNode.range![0], end: after.key.range![0], text: '' });
      continue;
    }
    const rendered = renderInline(value, src.paddingFor(value, valueNode));
    if (rendered === undefined) return undefined;
    edits.push({ start: valueNode!.range![0], end: valueNode!.range![1], text: rendered });
  }
  if (added.length > 0) {
    const lastPair = pairs.at(-1);
    if (lastPair === undefined) {
      const inner = added.join(', ');
      edits.push({ start: map.range![0], end: map.range![1], text: src.mapsPadded ? `{ ${inner} }` : `{${inner}}` });
    } else {
      const at = lastPair.value!.range![1];
      edits.push({ start: at, end: at, text: added.map((a) => `, ${a}`).join('') });
    }
  }
  return edits;
}

/** A block map changed into another non-empty map: edited key by key, so its own comments stay. */
function nestedMapEdits(src: YamlSource, node: Node | null, value: unknown): TextEdit[] | undefined {
  if (!isMap(node) || node.flow || !isObjectLike(value) || Array.isArray(value) || Object.keys(value).length === 0) return undefined;
  const old = node.toJS(src.doc) as Record<string, unknown>;
  const next = value as Record<string, unknown>;
  const changes: MapChange[] = Object.entries(next).filter(([k, v]) => JSON.stringify(old[k]) !== JSON.stringify(v));
  for (const key of Object.keys(old)) if (!(key in next)) changes.push([key, undefined]);
  return editMap(src, node, changes);
}

/** Replaces a one-line value in place (its trailing comment kept), when old and new both fit on one line. */
function inlineEdit(src: YamlSource, node: Node | null, value: unknown): TextEdit | undefined {
  if (!node?.range || node.range[1] <= node.range[0]) return undefined;
  const oldInline = isScalar(node) ? node.type !== 'BLOCK_FOLDED' && node.type !== 'BLOCK_LITERAL' : isCollection(node) && node.flow === true;
  if (!oldInline) return undefined;
  const wantsInline = !isObjectLike(value) || isScalarList(value) || (isCollection(node) && node.flow === true);
  if (!wantsInline) return undefined;
  const rendered = renderInline(value, src.paddingFor(value, node));
  return rendered === undefined ? undefined : { start: node.range[0], end: node.range[1], text: rendered };
}

/**
 * A value as one line of flow YAML, safe inside a flow collection too (rendered as the item of a flow
 * list, so `a, b` is quoted). Undefined when it cannot be one line.
 */
export function renderInline(value: unknown, padded: boolean): string | undefined {
  const doc = new Document([value]);
  visit(doc, {
    Seq(_, seq) {
      seq.flow = true;
    },
    Map(_, map) {
      map.flow = true;
    },
  });
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: padded }).trim();
  if (!text.startsWith('[') || !text.endsWith(']')) return undefined;
  const inner = text.slice(1, -1).trim();
  return inner.includes('\n') ? undefined : inner;
}

/** `key: value` in the catalog's style (block maps, short lists inline), ending with a newline. */
function renderBlockPair(key: string, value: unknown, padded: boolean): string {
  const doc = new Document({ [key]: value });
  styleCatalogNodes(doc);
  visit(doc, (_, node) => {
    // `models: []`, not an empty block list.
    if (isCollection(node) && node.items.length === 0) node.flow = true;
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: padded });
}

function indentLines(text: string, pad: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/** Where a pair's text ends: after its value's last line (comments on that line included). */
function pairEnd(src: YamlSource, pair: Pair<Node, Node | null>): number {
  const value = pair.value;
  const end = value?.range && value.range[1] > value.range[0] ? value.range[1] : pair.key.range![1];
  return endOfContent(src, end);
}

/** Block collections end at the start of the next line; scalars mid-line, before a possible comment. */
function endOfContent(src: YamlSource, end: number): number {
  return end > 0 && src.text[end - 1] === '\n' ? end : src.lineEnd(end);
}

function findPair(map: YAMLMap, key: string): Pair<Node, Node | null> | undefined {
  return (map.items as Pair<Node, Node | null>[]).find((p) => isScalar(p.key) && String(p.key.value) === key);
}

function isObjectLike(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isScalarList(value: unknown): boolean {
  return Array.isArray(value) && value.every((v) => !isObjectLike(v));
}

/** New values follow the first non-empty flow list (or map) of the file: `[ a ]` or `[a]`. */
function usesFlowPadding(doc: Document, text: string, kind: (node: unknown) => boolean): boolean {
  let padded = false;
  visit(doc, (_, node) => {
    if (kind(node) && isCollection(node) && node.flow && node.items.length > 0 && node.range) {
      padded = text[node.range[0] + 1] === ' ';
      return visit.BREAK;
    }
  });
  return padded;
}

/** The top-level mapping, or undefined for an empty document; throws for a document that is not a mapping. */
export function rootMap(src: YamlSource): YAMLMap | undefined {
  const contents = src.doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return undefined;
  if (!isMap(contents)) throw new EngineError('bad_request', 'the catalog file is not a YAML mapping');
  return contents;
}
