import { structuredPatch } from 'diff';
import type { DiffLine } from '../../../shared/switchboard-api.js';

/** Lines of context kept around each change, as in `diff -u`. */
const CONTEXT_LINES = 3;

/**
 * The unified line diff from `oldText` to `newText`: the changed lines with three lines of context
 * around each change, in order; the gaps between hunks show in the line numbers. Empty when equal.
 */
export function diffCatalogText(oldText: string, newText: string): DiffLine[] {
  if (oldText === newText) return [];
  const patch = structuredPatch('old', 'new', oldText, newText, undefined, undefined, { context: CONTEXT_LINES });
  const out: DiffLine[] = [];
  for (const hunk of patch.hunks) {
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    for (const line of hunk.lines) {
      const text = line.slice(1);
      if (line.startsWith('+')) out.push({ kind: 'add', text, newLine: newLine++ });
      else if (line.startsWith('-')) out.push({ kind: 'remove', text, oldLine: oldLine++ });
      else if (line.startsWith(' ')) out.push({ kind: 'same', text, oldLine: oldLine++, newLine: newLine++ });
      // "\ No newline at end of file" markers carry no line.
    }
  }
  return out;
}
