// Python value model and repr(), enough for the `server_args=ServerArgs(...)` line and tracebacks.

/** A Python float (kept apart from int so that 1.0 prints as `1.0`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** null = None, number = int, PyFloat = float. */
export type PyValue = null | boolean | string | number | PyFloat | readonly PyValue[];

export function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return value.toFixed(1);
  const text = String(value);
  // JS writes 1e-7 / 1e+21, Python writes 1e-07 / 1e+21.
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

export function pyRepr(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pyStrRepr(value);
  if (typeof value === 'number') return String(Math.trunc(value));
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  return '[' + value.map(pyRepr).join(', ') + ']';
}

/** Converts to the JSON value FastAPI would send for this Python value. */
export function pyToJson(value: PyValue): unknown {
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(pyToJson);
  return value;
}

/** Parses the small literal subset used in the field table: None/True/False/'str'/int/float. */
export function parsePyLiteral(text: string): PyValue {
  if (text === 'None') return null;
  if (text === 'True') return true;
  if (text === 'False') return false;
  if (text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1);
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^-?\d+\.\d+$/.test(text)) return new PyFloat(Number(text));
  throw new Error(`unsupported Python literal: ${text}`);
}

/** Python's `f"{x:.2f}"`. */
export function fmt2(value: number): string {
  return value.toFixed(2);
}

/** Python dict repr of a flat object of numbers (ints stay ints, `floatKeys` print as floats). */
export function pyDictRepr(entries: ReadonlyArray<readonly [string, number]>, floatKeys: ReadonlySet<string>): string {
  const body = entries.map(([key, value]) => {
    const shown = floatKeys.has(key) ? pyFloatRepr(value) : Number.isInteger(value) ? String(value) : pyFloatRepr(value);
    return `${pyStrRepr(key)}: ${shown}`;
  });
  return '{' + body.join(', ') + '}';
}
