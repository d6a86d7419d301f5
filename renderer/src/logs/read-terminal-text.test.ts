import { describe, expect, it } from 'vitest';
import { readTerminalText, type TerminalBufferLike } from './read-terminal-text.js';

function buffer(rows: [text: string, wrapped?: boolean][]): TerminalBufferLike {
  return {
    length: rows.length,
    getLine: (y) => {
      const row = rows[y];
      if (!row) return undefined;
      const [text, wrapped = false] = row;
      return { isWrapped: wrapped, translateToString: (trim) => (trim ? text.trimEnd() : text) };
    },
  };
}

describe('readTerminalText', () => {
  it('joins wrapped rows, strips the stream gutter and trailing empty rows', () => {
    const text = readTerminalText(
      buffer([['┃ [2025-10-14 11:20:18 TP0] Load weight begin. avail ', false], ['mem=78.05 GB   ', true], ['  INFO:     127.0.0.1 - "GET /health" 200   '], ['» switching to qwen'], ['   '], ['']]),
    );
    expect(text).toBe('[2025-10-14 11:20:18 TP0] Load weight begin. avail mem=78.05 GB\nINFO:     127.0.0.1 - "GET /health" 200\nswitching to qwen');
  });

  it('an empty buffer is an empty string', () => {
    expect(readTerminalText(buffer([]))).toBe('');
  });
});
