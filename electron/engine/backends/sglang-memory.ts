import { request } from 'undici';
import { formatHost } from './probe-health.js';

/**
 * SGLang's memory occupation routes (docs/sglang-memory-occupation.md): `POST /release_memory_occupation`
 * and `POST /resume_memory_occupation` with `{}` (tags null = weights and kv_cache) answer 200 `null`
 * once the scheduler has done the work. A scheduler that died in C (a second pause, an out-of-memory on
 * resume) leaves an HTTP server that never answers: every call here is bounded, and a timeout means the
 * server must be stopped, never that the call may be repeated. Every failure throws an Error saying
 * which call and why (no answer in time, a status other than 200, refused or reset).
 */

/** The fixed greedy request whose answer must survive a sleep unchanged (`/health_generate` cannot see garbage weights). */
export const CHECK_GENERATION = { text: 'The capital of France is', sampling_params: { temperature: 0, max_new_tokens: 8 } } as const;

async function post(host: string, port: number, path: string, body: unknown, timeoutMs: number): Promise<{ statusCode: number; text: string }> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(`http://${formatHost(host)}:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal,
    });
    return { statusCode: res.statusCode, text: await res.body.text() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      throw new Error(`${path} did not answer within ${Math.round(timeoutMs / 1000)} s`, { cause: err });
    }
    throw new Error(`${path} failed: ${(err as Error).message}`, { cause: err });
  }
}

async function postExpecting200(host: string, port: number, path: string, timeoutMs: number): Promise<void> {
  const { statusCode, text } = await post(host, port, path, {}, timeoutMs);
  if (statusCode !== 200) throw new Error(`${path} answered ${statusCode}: ${text.slice(0, 200)}`);
}

/** Releases the server's weights and KV cache (weights kept in host RAM with `--enable-weights-cpu-backup`). */
export function releaseMemory(host: string, port: number, timeoutMs: number): Promise<void> {
  return postExpecting200(host, port, '/release_memory_occupation', timeoutMs);
}

/** Takes the released memory back (only after a release: resuming what was not released kills the server). */
export function resumeMemory(host: string, port: number, timeoutMs: number): Promise<void> {
  return postExpecting200(host, port, '/resume_memory_occupation', timeoutMs);
}

/** The server's answer to CHECK_GENERATION (its `text`), for comparing before a sleep and after the wake. */
export async function checkGeneration(host: string, port: number, timeoutMs: number): Promise<string> {
  const { statusCode, text } = await post(host, port, '/generate', CHECK_GENERATION, timeoutMs);
  if (statusCode !== 200) throw new Error(`/generate answered ${statusCode}: ${text.slice(0, 200)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`/generate answered something that is not JSON: ${text.slice(0, 200)}`);
  }
  const answer = Array.isArray(parsed) ? parsed[0] : parsed;
  const generated = typeof answer === 'object' && answer !== null ? (answer as { text?: unknown }).text : undefined;
  if (typeof generated !== 'string') throw new Error(`/generate answered without a text: ${text.slice(0, 200)}`);
  return generated;
}
