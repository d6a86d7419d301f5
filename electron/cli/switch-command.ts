import { parseArgs } from 'node:util';
import type { EngineState, LogLine, SlotView } from '../../shared/engine-state.js';
import type { Failure } from '../../shared/failure.js';
import { EngineClient, EngineRequestError } from './engine-client.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, resolveConnection } from './engine-connection.js';
import { formatDuration } from './format-duration.js';
import type { SseEvent } from './sse-parser.js';
import { isSwitchUnderWay, resolveModelIn, SwitchProgress } from './switch-progress.js';
import { parseOrUsage, UsageError } from './usage-error.js';

const USAGE = `usage: switchboard switch MODEL [options]

Switches the backend to MODEL (an id or alias) and follows the load phase by phase.
Exits 0 when the model is ready, 1 when the load fails (with the diagnosis and its hint).
${CONNECTION_USAGE}`;

/** After the engine answers, how long to keep reading events for the last progress lines. */
const FINAL_EVENTS_GRACE_MS = 2_000;
const FAILURE_LOG_LINES = 5;

export async function runSwitch(args: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(USAGE, () => parseArgs({ args, options: CONNECTION_OPTIONS, allowPositionals: true, strict: true }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('switch takes exactly one model id or alias', USAGE);
  const client = new EngineClient(await resolveConnection(values));
  return switchTo(client, positionals[0]);
}

/**
 * Subscribes to events first, so no phase is missed, then POSTs the switch with `wait`: the
 * POST's answer is the outcome, the events are only the progress display.
 */
async function switchTo(client: EngineClient, idOrAlias: string): Promise<number> {
  const stream = new AbortController();
  const events = await client.openEvents(stream.signal);
  const initial = await readInitialState(events);
  const modelId = resolveModelIn(initial, idOrAlias) ?? idOrAlias;
  const alreadyReady = initial.slots.some((s) => s.modelId === modelId && s.status === 'ready');
  const following = followProgress(events, modelId);
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    const path = `/api/models/${encodeURIComponent(idOrAlias)}/switch`;
    const slot = await client.postJson<{ slot: SlotView }>(path, { wait: true, cause: 'cli' }, { long: true, signal: interrupt.signal });
    if (!alreadyReady) await following.settledOrAfter(FINAL_EVENTS_GRACE_MS);
    console.log(alreadyReady ? `✅ ${modelId} is already ready` : `✅ ready in ${formatLoadTime(slot.slot)}`);
    return 0;
  } catch (err) {
    if (interrupt.signal.aborted) {
      console.error(`interrupted — the switch continues in the engine; "switchboard status" shows it`);
      return 130;
    }
    if (!(err instanceof EngineRequestError) || err.apiError.code === 'unknown_model') throw err;
    await following.settledOrAfter(FINAL_EVENTS_GRACE_MS);
    await printFailure(client, err);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    stream.abort();
    await following.done;
  }
}

/** Reads with next(), not for-await: breaking out of for-await would close the generator. */
async function readInitialState(events: AsyncGenerator<SseEvent>): Promise<EngineState> {
  for (;;) {
    const { value, done } = await events.next();
    if (done) throw new Error('the engine closed the event stream before sending its state');
    if (value.event === 'state') return JSON.parse(value.data) as EngineState;
  }
}

/**
 * Prints progress lines until the stream is aborted. `settledOrAfter` waits until the events have
 * shown the switch under way and then no longer under way, so its last lines are printed before
 * the outcome (the POST's answer can overtake the event stream).
 */
function followProgress(events: AsyncGenerator<SseEvent>, modelId: string) {
  const progress = new SwitchProgress(modelId);
  let sawUnderWay = false;
  let markSettled!: () => void;
  const settled = new Promise<void>((resolve) => (markSettled = resolve));
  const done = (async () => {
    try {
      for await (const event of events) {
        if (event.event !== 'state') continue;
        const state = JSON.parse(event.data) as EngineState;
        const line = progress.lineFor(state, Date.now());
        if (line) console.log(line);
        if (isSwitchUnderWay(state, modelId)) sawUnderWay = true;
        else if (sawUnderWay) markSettled();
      }
    } catch {
      // The stream ends by abort once the outcome is known, or because the engine went away:
      // either way the POST's answer says what happened.
    }
    markSettled();
  })();
  return {
    done,
    settledOrAfter(ms: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
      return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
    },
  };
}

function formatLoadTime(slot: SlotView): string {
  if (slot.readyAtMs === undefined || slot.loadStartedAtMs === undefined) return '(time unknown)';
  return formatDuration(slot.readyAtMs - slot.loadStartedAtMs);
}

async function printFailure(client: EngineClient, err: EngineRequestError): Promise<void> {
  const failure = err.apiError.details?.failure as Failure | undefined;
  console.error(failure ? `❌ failed: ${failure.message} — ${failure.hint}` : `❌ failed: ${err.message}`);
  const lines = failure?.lastLines?.length ? failure.lastLines.slice(-FAILURE_LOG_LINES) : await recentLogLines(client);
  if (lines.length === 0) return;
  console.error('   last log lines:');
  for (const line of lines) console.error(`   │ ${line}`);
}

async function recentLogLines(client: EngineClient): Promise<string[]> {
  try {
    const { lines } = await client.getJson<{ lines: LogLine[] }>(`/api/logs?tail=${FAILURE_LOG_LINES}`);
    return lines.map((l) => l.text);
  } catch {
    return [];
  }
}
