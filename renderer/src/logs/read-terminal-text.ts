/** The part of xterm's buffer the copy reads (IBuffer); tests pass a plain object. */
export interface TerminalBufferLike {
  readonly length: number;
  getLine(y: number): { readonly isWrapped: boolean; translateToString(trimRight?: boolean): string } | undefined;
}

/** The stream gutter formatLogLine puts before each line (two cells). */
const GUTTER = /^(?: {2}|┃ |» )/;

/**
 * The terminal's lines as plain text: rows the terminal wrapped are joined back into their log line,
 * the stream gutter is removed, trailing empty rows are dropped.
 */
export function readTerminalText(buffer: TerminalBufferLike): string {
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) {
    const row = buffer.getLine(y);
    if (!row) continue;
    // Untrimmed: a row that wraps is full, and a space at its end belongs to the line.
    const text = row.translateToString(false);
    if (row.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  const trimmed = lines.map((line) => line.trimEnd());
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') trimmed.pop();
  return trimmed.map((line) => line.replace(GUTTER, '')).join('\n');
}
