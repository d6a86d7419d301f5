import type { IncomingMessage } from 'node:http';
import { openAiError, RouterError } from './openai-error.js';

/**
 * Reads a request body up to `maxBytes`. Over the limit: rejects with a 413 RouterError and
 * leaves the rest unread; the caller calls lingerClose() and answers with `connection: close`,
 * so a client still uploading can read that answer (linger-close.ts).
 */
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  // Events, not `for await`: an async iterator costs several promises per request on the hot path.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      // Closed before the whole body came: the client is gone.
      if (!req.complete) onError(new Error('the client closed the connection before sending the whole request'));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function tooLarge(maxBytes: number): RouterError {
  return new RouterError(413, openAiError(`request body is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`, 'invalid_request_error', 'request_too_large'));
}
