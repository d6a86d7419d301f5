import type { ServerResponse } from 'node:http';
import { noteRequestError } from './request-observer.js';

/** An error body in the OpenAI shape that clients (the openai SDK, Open WebUI) parse. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

export function openAiError(message: string, type: string, code: string | number | null = null, param: string | null = null): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

/** Answers with an OpenAI-style error unless headers already went out. */
export function sendOpenAiError(res: ServerResponse, status: number, body: OpenAiErrorBody, headers: Record<string, string> = {}): void {
  noteRequestError(res, String(body.error.code ?? body.error.type));
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Thrown inside the router to answer with a given status and OpenAI error. */
export class RouterError extends Error {
  constructor(
    readonly status: number,
    readonly body: OpenAiErrorBody,
  ) {
    super(body.error.message);
    this.name = 'RouterError';
  }
}
