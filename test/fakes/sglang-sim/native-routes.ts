// SGLang's native routes: /generate (cumulative text, incremental output_ids), /flush_cache,
// /abort_request, /pause_generation, /continue_generation, /get_load.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countPromptTokens } from './generate-text.js';
import { jsonInvalidRepr, parseJsonObject, readBody, sendEmpty, sendJson, sendText, sendValidationError, startSse, uuidHex, writeSse } from './http-io.js';
import { ABORT_TOKEN_ID, type EngineOutput } from './scheduler.js';
import type { SimApp } from './sim-context.js';
import { waitForever } from './memory-occupation.js';
import { readInteger, readStop, submitUserRequest } from './submit-request.js';

type Body = Record<string, unknown>;

interface Prompt {
  text: string;
  tokens: number;
}

function readPrompts(body: Body): Prompt[] | undefined {
  if (typeof body.text === 'string') return [{ text: body.text, tokens: countPromptTokens(body.text) }];
  if (Array.isArray(body.text)) return body.text.map((text) => ({ text: String(text), tokens: countPromptTokens(String(text)) }));
  if (Array.isArray(body.input_ids)) {
    const lists = Array.isArray(body.input_ids[0]) ? (body.input_ids as unknown[][]) : [body.input_ids];
    return lists.map((ids) => ({ text: ids.join(' '), tokens: Math.max(1, ids.length) }));
  }
  return undefined;
}

function metaInfo(rid: string, output: EngineOutput, promptTokens: number, weightVersion: string | null, startedMs: number): Body {
  const meta: Body = {
    id: rid,
    finish_reason: output.finish,
    prompt_tokens: promptTokens,
    weight_version: weightVersion,
    completion_tokens: output.completionTokens,
    cached_tokens: 0,
  };
  if (output.finish !== null) meta.e2e_latency = Math.round((Date.now() - startedMs) / 10) / 100;
  return meta;
}

export async function handleGenerate(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseJsonObject(await readBody(req));
  if (!body) return sendValidationError(res, jsonInvalidRepr());
  const prompts = readPrompts(body);
  const firstPrompt = prompts?.[0];
  if (!prompts || firstPrompt === undefined) return sendJson(res, 400, { error: { message: 'Either text, input_ids or input_embeds should be provided.' } });
  const sampling = (body.sampling_params as Body | undefined) ?? {};
  const maxNewTokens = sampling.max_new_tokens === undefined ? 128 : readInteger(sampling.max_new_tokens);
  const stream = body.stream === true;
  const tooLong = prompts.find((prompt) => prompt.tokens >= app.contextLen);
  if (tooLong) {
    const message = `The input (${tooLong.tokens} tokens) is longer than the model's context length (${app.contextLen} tokens).`;
    if (!stream) return sendJson(res, 400, { error: { message } });
    startSse(res);
    writeSse(res, { error: { message } });
    writeSse(res, '[DONE]');
    return void res.end();
  }
  const weightVersion = app.args.str('weight_version');
  const startedMs = Date.now();
  const baseRid = typeof body.rid === 'string' ? body.rid : uuidHex();
  if (stream) {
    startSse(res);
    const prompt = firstPrompt;
    submitUserRequest(app, res, {
      rid: baseRid,
      promptText: prompt.text,
      promptTokens: prompt.tokens,
      maxNewTokens,
      ignoreEos: sampling.ignore_eos === true,
      stop: readStop(sampling.stop),
      stream,
      onOutput: (output) => {
        const ids = output.tokenId === ABORT_TOKEN_ID ? [] : [output.tokenId];
        writeSse(res, { text: output.text, output_ids: ids, meta_info: metaInfo(baseRid, output, prompt.tokens, weightVersion, startedMs) });
        if (output.finish === null) return;
        writeSse(res, '[DONE]');
        res.end();
      },
    });
    return;
  }
  const results = await Promise.all(
    prompts.map(
      (prompt, index) =>
        new Promise<Body>((resolve) => {
          const rid = prompts.length > 1 ? `${baseRid}_${index}` : baseRid;
          const outputIds: number[] = [];
          submitUserRequest(app, res, {
            rid,
            promptText: prompt.text,
            promptTokens: prompt.tokens,
            maxNewTokens,
            ignoreEos: sampling.ignore_eos === true,
            stop: readStop(sampling.stop),
            stream,
            onOutput: (output) => {
              if (output.tokenId !== ABORT_TOKEN_ID) outputIds.push(output.tokenId);
              if (output.finish !== null) resolve({ text: output.text, output_ids: outputIds, meta_info: metaInfo(rid, output, prompt.tokens, weightVersion, startedMs) });
            },
          });
        }),
    ),
  );
  if (res.destroyed) return;
  sendJson(res, 200, prompts.length === 1 && !Array.isArray(body.text) ? results[0] : results);
}

const FLUSH_TEXT = 'Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n';

export async function handleFlushCache(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await readBody(req);
  if (app.memory.schedulerGone) return waitForever();
  const { running, queued } = app.scheduler.counts();
  if (running + queued === 0) {
    app.log.rank(0, 'Cache flushed successfully!');
    return sendText(res, 200, FLUSH_TEXT);
  }
  app.log.rank(0, `Cache not flushed because there are pending requests. #queue-req: ${queued}, #running-req: ${running}`, 'warning');
  sendText(res, 400, FLUSH_TEXT);
}

export async function handleAbortRequest(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = parseJsonObject(await readBody(req)) ?? {};
  if (body.abort_all === true) app.scheduler.abort(undefined);
  else if (typeof body.rid === 'string' && body.rid !== '') app.scheduler.abort(body.rid);
  sendEmpty(res, 200);
}

export async function handlePauseGeneration(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await readBody(req);
  app.scheduler.pause();
  sendJson(res, 200, { message: 'Generation paused successfully.', status: 'ok' });
}

export async function handleContinueGeneration(app: SimApp, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await readBody(req);
  app.scheduler.resume();
  sendJson(res, 200, { message: 'Generation continued successfully.', status: 'ok' });
}

export async function handleGetLoad(app: SimApp, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (app.memory.schedulerGone) return waitForever();
  const { running, queued, usedTokens } = app.scheduler.counts();
  sendJson(res, 200, [{ rid: null, dp_rank: 0, num_reqs: running + queued, num_waiting_reqs: queued, num_tokens: usedTokens }]);
}
