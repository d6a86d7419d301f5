import { parseArgs } from 'node:util';
import type { SlotView } from '../../shared/engine-state.js';
import type { Failure } from '../../shared/failure.js';
import { ApiCallError } from '../../shared/switchboard-api.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE } from './engine-connection.js';
import { withEngine, type EngineSession } from './engine-session.js';
import { formatDuration } from '../../shared/format-duration.js';
import { formatFitComparison } from '../../shared/format-fit-comparison.js';
import { isAsleep, isSwitchUnderWay, resolveModelIn, SwitchProgress } from './switch-progress.js';
import { parseOrUsage, UsageError } from './usage-error.js';

const USAGE = `usage: switchboard switch MODEL [options]

Switches the backend to MODEL (an id or alias) and follows the load phase by phase (a warm model
asleep is woken instead, in seconds).
Exits 0 when the model is ready, 1 when the load fails (with the diagnosis and its hint) or when the
fit estimate says it will not fit its GPUs (nothing is launched then).

  --force   launch even when the fit estimate says the model will not fit
${CONNECTION_USAGE}`;

/** After the engine answers, how long to keep reading events for the last progress lines. */
const FINAL_EVENTS_GRACE_MS = 2_000;
const FAILURE_LOG_LINES = 5;

export async function runSwitch(args: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(USAGE, () => parseArgs({ args, options: { ...CONNECTION_OPTIONS, force: { type: 'boolean' } }, allowPositionals: true, strict: true }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('switch takes exactly one model id or alias', USAGE);
  const force = values.force === true;
  return withEngine(values, (engine) => switchTo(engine, positionals[0]!, force));
}

/**
 * Follows the `state` events before asking, so no phase is missed, then calls models.switchTo with
 * `wait`: its answer is the outcome, the events are only the progress display.
 */
async function switchTo(engine: EngineSession, idOrAlias: string, force: boolean): Promise<number> {
  const initial = await engine.api['state.get']({});
  const modelId = resolveModelIn(initial, idOrAlias) ?? idOrAlias;
  const alreadyReady = initial.slots.some((s) => s.modelId === modelId && s.status === 'ready');
  const asleep = isAsleep(initial, modelId);
  const askedAtMs = Date.now();
  const following = followProgress(engine, modelId);
  let onSigint!: () => void;
  const interrupted = new Promise<'interrupted'>((resolve) => (onSigint = () => resolve('interrupted')));
  process.once('SIGINT', onSigint);
  const switching = engine.api['models.switchTo']({ model: idOrAlias, wait: true, cause: 'cli', ...(force ? { force } : {}) });
  // After Ctrl-C the call fails as the connection closes; that is no error then.
  switching.catch(() => undefined);
  try {
    const outcome = await Promise.race([switching, interrupted]);
    if (outcome === 'interrupted') {
      console.error(`interrupted — the switch continues in the engine; "switchboard status" shows it`);
      return 130;
    }
    if (!alreadyReady) await following.settledOrAfter(FINAL_EVENTS_GRACE_MS);
    // A wake that fell back to a cold load showed its load phases: that is a load.
    console.log(switchDoneLine(modelId, outcome, { alreadyReady, woken: asleep && !following.sawLoad(), tookMs: Date.now() - askedAtMs }));
    if (!alreadyReady) await printMemory(engine, modelId);
    return 0;
  } catch (err) {
    // A refused id, or the connection gone: nothing to diagnose.
    if (!(err instanceof ApiCallError) || err.code === 'unknown_model' || !engine.isOpen()) throw err;
    // Refused before launch: nothing loaded, nothing to diagnose.
    if (err.code === 'will_not_fit') {
      console.error(`❌ ${err.message}`);
      console.error(`   to try anyway: switchboard switch --force ${modelId}`);
      return 1;
    }
    await following.settledOrAfter(FINAL_EVENTS_GRACE_MS);
    await printFailure(engine, err);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    following.stop();
  }
}

/** The load's memory, predicted and as SGLang reported it (when the engine has either). */
async function printMemory(engine: EngineSession, modelId: string): Promise<void> {
  const state = await engine.api['state.get']({});
  const fit = state.slots.find((s) => s.modelId === modelId)?.fit;
  const line = fit ? formatFitComparison(fit) : null;
  if (line) console.log(`   memory: ${line}`);
}

/**
 * Prints progress lines from the `state` events until stopped. `settledOrAfter` waits until the
 * events have shown the switch under way and then no longer under way, so its last lines are
 * printed before the outcome.
 */
function followProgress(engine: EngineSession, modelId: string) {
  const progress = new SwitchProgress(modelId);
  let sawUnderWay = false;
  let markSettled!: () => void;
  const settled = new Promise<void>((resolve) => (markSettled = resolve));
  const unsubscribe = engine.subscribe((event) => {
    if (event.type !== 'state') return;
    const line = progress.lineFor(event.state, Date.now());
    if (line) console.log(line);
    if (isSwitchUnderWay(event.state, modelId)) sawUnderWay = true;
    else if (sawUnderWay) markSettled();
  });
  // The engine going away settles it too: the call's answer says what happened.
  void engine.dropped.then(markSettled);
  return {
    stop: unsubscribe,
    sawLoad: () => progress.sawLoad,
    settledOrAfter(ms: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
      return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
    },
  };
}

/**
 * The line that says the switch is done: already ready, woken from sleep (timed here: a wake has no
 * load, and the slot's load times may be its first load's), or loaded (the load's own time).
 */
export function switchDoneLine(modelId: string, outcome: SlotView, how: { alreadyReady: boolean; woken: boolean; tookMs: number }): string {
  if (how.alreadyReady) return `✅ ${modelId} is already ready`;
  if (how.woken) return `✅ woken in ${formatDuration(how.tookMs)}`;
  return `✅ ready in ${formatLoadTime(outcome)}`;
}

function formatLoadTime(slot: SlotView): string {
  if (slot.readyAtMs === undefined || slot.loadStartedAtMs === undefined) return '(time unknown)';
  return formatDuration(slot.readyAtMs - slot.loadStartedAtMs);
}

async function printFailure(engine: EngineSession, err: ApiCallError): Promise<void> {
  const failure = err.details?.failure as Failure | undefined;
  console.error(failure ? `❌ failed: ${failure.message} — ${failure.hint}` : `❌ failed: ${err.message}`);
  const lines = failure?.lastLines?.length ? failure.lastLines.slice(-FAILURE_LOG_LINES) : await recentLogLines(engine);
  if (lines.length === 0) return;
  console.error('   last log lines:');
  for (const line of lines) console.error(`   │ ${line}`);
}

async function recentLogLines(engine: EngineSession): Promise<string[]> {
  try {
    return (await engine.api['logs.tail']({ tail: FAILURE_LOG_LINES })).map((l) => l.text);
  } catch {
    return [];
  }
}
