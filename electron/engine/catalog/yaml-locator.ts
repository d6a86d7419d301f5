import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './format-field-path.js';

/** 1-based position in the YAML text. */
export interface YamlPosition {
  line: number;
  column: number;
}

/** Finds where a path of the parsed data sits in the YAML text. */
export interface YamlLocator {
  /**
   * Position of the value at `path` (or of its key when `atKey`). When the path does not exist
   * (a missing field), the position of the deepest node that does.
   */
  locate(path: readonly PathSegment[], atKey?: boolean): YamlPosition | undefined;
  /** The source text of the scalar at `path`, as written (`1.0`, `"x"`), if there is one. */
  sourceOf(path: readonly PathSegment[]): string | undefined;
}

/** A locator over a document parsed with `lineCounter`. */
export function createYamlLocator(doc: Document, lineCounter: LineCounter, text: string): YamlLocator {
  const position = (node: Node | null | undefined): YamlPosition | undefined => {
    if (!node?.range) return undefined;
    const { line, col } = lineCounter.linePos(node.range[0]);
    return { line, column: col };
  };
  return {
    locate(path, atKey = false) {
      const found = walk(doc, path);
      if (atKey && found.exact && found.key) return position(found.key);
      return position(found.exact ? (found.node ?? found.key) : found.node);
    },
    sourceOf(path) {
      const found = walk(doc, path);
      if (!found.exact || !isScalar(found.node) || !found.node.range) return undefined;
      return text.slice(found.node.range[0], found.node.range[1]);
    },
  };
}

interface WalkResult {
  /** The value node reached (deepest existing one when not exact). */
  node: Node | null | undefined;
  /** The key node of the last map step, when the last step was a map key. */
  key?: Node;
  exact: boolean;
}

function walk(doc: Document, path: readonly PathSegment[]): WalkResult {
  let node = doc.contents as Node | null;
  let key: Node | undefined;
  for (const seg of path) {
    const resolved = isAlias(node) ? (node.resolve(doc) as Node | undefined) : node;
    const next = step(resolved, seg);
    if (!next) return { node: key && !node ? key : node, exact: false };
    ({ node, key } = next);
  }
  return { node, key, exact: true };
}

function step(node: Node | null | undefined, seg: PathSegment): { node: Node | null; key?: Node } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
    return pair ? { node: (pair.value as Node | null) ?? null, key: pair.key as Node } : undefined;
  }
  if (isSeq(node) && typeof seg === 'number') {
    const item = node.items[seg] as Node | undefined;
    return item === undefined ? undefined : { node: item };
  }
  return undefined;
}
