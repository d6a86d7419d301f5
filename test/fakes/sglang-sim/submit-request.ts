// The tokenizer-manager side of a user request: in-flight bookkeeping (for the SIGTERM drain),
// `--log-requests` lines, and aborting the request when the client goes away.
import type { ServerResponse } from 'node:http';
import { pyRepr, pyStrRepr, type PyValue } from './python-repr.js';
import type { EngineOutput, Finish } from './scheduler.js';
import type { SimApp } from './sim-context.js';

export interface UserRequest {
  rid: string;
  promptText: string;
  promptTokens: number;
  maxNewTokens: number | null;
  ignoreEos: boolean;
  stop: readonly string[];
  stream: boolean;
  onOutput(output: EngineOutput): void;
}

export function finishRepr(finish: Finish | null): string {
  if (finish === null) return 'None';
  const entries = Object.entries(finish).map(([key, value]) => `${pyStrRepr(key)}: ${pyRepr(value as PyValue)}`);
  return `{${entries.join(', ')}}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... [truncated]`;
}

/** Submits a user request; aborts it if `res` closes before the request finished. */
export function submitUserRequest(app: SimApp, res: ServerResponse, request: UserRequest): void {
  const logRequests = app.args.bool('log_requests');
  const level = app.args.num('log_requests_level') ?? 2;
  const maxChars = level >= 3 ? Number.POSITIVE_INFINITY : level === 2 ? 2048 : 0;
  const objRepr =
    `GenerateReqInput(rid=${pyStrRepr(request.rid)}` +
    (maxChars > 0 ? `, text=${pyStrRepr(truncate(request.promptText, maxChars))}` : '') +
    `, sampling_params={'max_new_tokens': ${request.maxNewTokens ?? 'None'}}, stream=${request.stream ? 'True' : 'False'})`;
  if (logRequests) app.log.main(`Receive: obj=${objRepr}`);
  let finished = false;
  app.inFlight.add(request.rid);
  res.on('close', () => {
    if (!finished) app.scheduler.abort(request.rid, 'Client disconnected');
  });
  app.scheduler.submit({
    rid: request.rid,
    kind: 'user',
    promptText: request.promptText,
    promptTokens: request.promptTokens,
    maxNewTokens: request.maxNewTokens,
    ignoreEos: request.ignoreEos,
    stop: request.stop,
    onOutput: (output) => {
      if (output.finish !== null && !finished) {
        finished = true;
        app.inFlight.delete(request.rid);
        if (logRequests) {
          const text = maxChars > 0 ? `'text': ${pyStrRepr(truncate(output.text, maxChars))}, ` : '';
          app.log.main(
            `Finish: obj=${objRepr}, out={${text}'meta_info': {'id': ${pyStrRepr(request.rid)}, 'finish_reason': ${finishRepr(output.finish)}, ` +
              `'prompt_tokens': ${request.promptTokens}, 'completion_tokens': ${output.completionTokens}, 'cached_tokens': 0}}`,
          );
        }
      }
      request.onOutput(output);
    },
  });
}

/** `stop` as sent by OpenAI clients: a string or a list of strings. */
export function readStop(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

export function readInteger(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}
