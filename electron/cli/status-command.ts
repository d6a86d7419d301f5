import { parseArgs } from 'node:util';
import type { EngineState, SlotView } from '../../shared/engine-state.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE } from './engine-connection.js';
import { withEngine } from './engine-session.js';
import { describeStall } from '../../shared/stall-timeouts.js';
import { formatDuration } from '../../shared/format-duration.js';
import { formatPhase } from './format-load-progress.js';
import { parseOrUsage } from './usage-error.js';

const USAGE = `usage: switchboard status [options]

Shows the active models and each backend slot: status, model, phase, progress, elapsed, ETA and
the last failure with its hint. A warm model's slot may be releasing (going to sleep), sleeping
(GPU memory released, server kept) or waking.
${CONNECTION_USAGE}`;

export async function runStatus(args: string[]): Promise<number> {
  const { values } = parseOrUsage(USAGE, () => parseArgs({ args, options: CONNECTION_OPTIONS, strict: true }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  return withEngine(values, async (engine) => {
    const state = await engine.api['state.get']({});
    console.log(formatStatus(state, engine.url, Date.now()));
    return 0;
  });
}

/** The whole status report as printed. */
export function formatStatus(state: EngineState, url: string, nowMs: number): string {
  const lines = [`engine   ${url} · v${state.version} · up ${formatDuration(nowMs - state.startedAtMs)}`, `config   ${state.configPath}`, `active   ${activeList(state)}`];
  // Engines from before notices send none.
  for (const notice of state.notices ?? []) lines.push(`${notice.level.padEnd(8)} ${notice.message}`);
  // Models at their request limit, or with requests queued for a free place (engines from before limits send no `queued`).
  for (const m of state.models) {
    if (!m.limit || (m.inFlight < m.limit.maxConcurrent && !m.queued)) continue;
    lines.push(`limit    ${m.id}: ${m.inFlight}/${m.limit.maxConcurrent} requests at once, ${m.queued ?? 0}/${m.limit.maxQueued} queued for a free place`);
  }
  for (const slot of state.slots) lines.push('', ...formatSlot(slot, nowMs));
  return lines.join('\n');
}

function formatSlot(slot: SlotView, nowMs: number): string[] {
  const pid = slot.pid === undefined ? '' : `, pid ${slot.pid}`;
  const lines = [`slot ${slot.id}  ${slot.status}  ${slot.modelId ?? '(no model)'}  (${slot.host}:${slot.port}${pid})`];
  const loading = slot.status === 'starting' || slot.status === 'loading';
  if (loading) {
    lines.push(`  phase    ${formatPhase(slot)}`);
    const elapsed = slot.loadStartedAtMs === undefined ? 'unknown' : formatDuration(nowMs - slot.loadStartedAtMs);
    const eta = slot.etaMs === undefined || slot.etaMs === null ? 'unknown' : `~${formatDuration(slot.etaMs)}`;
    lines.push(`  elapsed  ${elapsed} · ETA ${eta}`);
    const stall = describeStall(slot.stall, nowMs);
    if (stall) lines.push(`  warning  ${stall}`);
  }
  if (slot.status === 'ready' && slot.readyAtMs !== undefined) lines.push(`  ready    for ${formatDuration(nowMs - slot.readyAtMs)}`);
  if (slot.status === 'releasing') lines.push(`  sleep    putting ${slot.modelId ?? 'the model'} to sleep (releasing its GPU memory)`);
  if (slot.status === 'sleeping') lines.push(`  asleep   GPU memory released, server kept; a request or "switchboard switch" wakes it`);
  if (slot.status === 'waking') {
    const eta = slot.etaMs === undefined || slot.etaMs === null ? 'unknown' : `~${formatDuration(slot.etaMs)}`;
    lines.push(`  waking   ETA ${eta}`);
  }
  for (const queued of slot.queue) lines.push(`  queued   ${queued.modelId} (${queued.waiters} waiting, ${queued.cause})`);
  if (slot.failure) {
    const { cause, message, hint } = slot.failure;
    lines.push(`  failure  ${cause}: ${message}`, `  hint     ${hint}`);
  }
  return lines;
}

/** Every loaded model (one per slot); engines from before slots only send activeModel. */
function activeList(state: EngineState): string {
  const active = state.activeModels ?? (state.activeModel ? [state.activeModel] : []);
  return active.length > 0 ? active.join(', ') : '(none)';
}
