// Small HTTP helpers shaped after FastAPI/Starlette responses.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starlette JSONResponse: compact separators, UTF-8. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The OpenAI-compatible error body of serving_base.create_error_response. */
export function openaiErrorBody(message: string, type: string, code: number): Record<string, unknown> {
  return { object: 'error', message, type, param: null, code };
}

export function sendOpenaiError(res: ServerResponse, status: number, message: string, type = 'BadRequestError'): void {
  sendJson(res, status, openaiErrorBody(message, type, status));
}

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
}

export function writeSse(res: ServerResponse, payload: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  res.write(`data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`);
}

function pyJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Python's json.dumps defaults (`, ` and `: ` separators, ensure_ascii). */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pyJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return '[' + value.map(pyJsonDumps).join(', ') + ']';
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => `${pyJsonString(key)}: ${pyJsonDumps(item)}`);
  return '{' + entries.join(', ') + '}';
}

/** Parses a JSON object body; undefined when it is not valid JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function isJsonContentType(req: IncomingMessage): boolean {
  const [mediaType = ''] = (req.headers['content-type'] ?? '').split(';');
  return mediaType.trim().toLowerCase() === 'application/json';
}

/** 32-hex uuid4 without dashes, like `uuid.uuid4().hex`. */
export function uuidHex(): string {
  return randomUUID().replace(/-/g, '');
}

/** Python repr of a decoded JSON value (dict/list/str/int/float/bool/None). */
export function pyReprJson(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return pyStrReprLocal(value);
  if (Array.isArray(value)) return '[' + value.map(pyReprJson).join(', ') + ']';
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => `${pyStrReprLocal(key)}: ${pyReprJson(item)}`);
  return '{' + entries.join(', ') + '}';
}

function pyStrReprLocal(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  return (
    quote +
    text
      .replace(/\\/g, '\\\\')
      .replace(new RegExp(quote, 'g'), '\\' + quote)
      .replace(/\n/g, '\\n') +
    quote
  );
}

/** FastAPI's RequestValidationError turned into SGLang's 400 (`type` "Bad Request"). */
export function sendValidationError(res: ServerResponse, errorsRepr: string): void {
  sendJson(res, 400, openaiErrorBody(errorsRepr, 'Bad Request', 400));
}

export const UNSUPPORTED_MEDIA_TYPE = `[{'loc': ['header', 'content-type'], 'msg': "Unsupported Media Type: Only 'application/json' is allowed", 'type': 'value_error'}]`;

export function jsonInvalidRepr(): string {
  return `[{'type': 'json_invalid', 'loc': ('body', 0), 'msg': 'JSON decode error', 'input': {}, 'ctx': {'error': 'Expecting value'}}]`;
}

export function fieldMissingRepr(field: string, body: unknown): string {
  return `[{'type': 'missing', 'loc': ('body', ${pyStrReprLocal(field)}), 'msg': 'Field required', 'input': ${pyReprJson(body)}}]`;
}
