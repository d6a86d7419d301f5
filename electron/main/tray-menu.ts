import type { EngineState, ModelView, SlotView } from '../../shared/engine-state.js';
import type { LoadProgress } from '../../shared/load-phase.js';

/** What clicking a tray item asks for; tray.ts carries it out. */
export type TrayIntent = { kind: 'switch'; model: string } | { kind: 'stop' } | { kind: 'show' } | { kind: 'quit' } | { kind: 'restart-engine' };

/** What the tray says about the app's own engine process while it is not serving (engine-supervisor.ts). */
export interface TrayEngineProcess {
  message: string;
  /** Offer "Restart engine" (it crash-looped and is not restarted by itself). */
  canRestart: boolean;
}

/** One tray menu item as plain data (tray.ts turns it into an Electron MenuItem). */
export interface TrayItem {
  type: 'normal' | 'checkbox' | 'separator';
  label?: string;
  checked?: boolean;
  enabled?: boolean;
  intent?: TrayIntent;
}

const APP = 'SGLang Switchboard';

/**
 * The tray menu for a state (null: the engine is not reachable). A status line first (trays that
 * show no tooltip, like GNOME's AppIndicator, still say what is going on), then every switchable
 * model as a checkbox item (each active one checked — several run at once on disjoint GPUs; a
 * loading one "— loading 42%"; a failed one "⚠ … — failed"; a warm one asleep "(asleep)", switched
 * to wake it), Stop, Show window, Quit. Checkboxes, not radio items: Electron keeps a radio
 * group's first item checked when none is. Upstream models are never switched: not listed.
 */
export function trayMenuItems(state: EngineState | null, engineProcess: TrayEngineProcess | null = null): TrayItem[] {
  const tail: TrayItem[] = [{ type: 'separator' }, { type: 'normal', label: 'Show window', intent: { kind: 'show' } }, { type: 'normal', label: `Quit ${APP}`, intent: { kind: 'quit' } }];
  if (!state) {
    if (!engineProcess) return [{ type: 'normal', label: 'Engine not reachable', enabled: false }, ...tail];
    return [
      { type: 'normal', label: engineProcess.message, enabled: false },
      ...(engineProcess.canRestart ? [{ type: 'normal' as const, label: 'Restart engine', intent: { kind: 'restart-engine' as const } }] : []),
      ...tail,
    ];
  }
  const active = new Set(activeIds(state));
  const models = state.models.filter((m) => m.kind !== 'upstream');
  const modelItems: TrayItem[] = models.map((model) => ({
    type: 'checkbox',
    label: modelLabel(model, state.slots),
    checked: model.status === 'loaded' && active.has(model.id),
    intent: { kind: 'switch', model: model.id },
  }));
  const running = state.slots.filter((s) => s.status !== 'stopped' && s.status !== 'stopping').length;
  return [
    { type: 'normal', label: statusLine(state), enabled: false },
    { type: 'separator' },
    ...(modelItems.length > 0 ? modelItems : [{ type: 'normal' as const, label: 'No models in the catalog', enabled: false }]),
    { type: 'separator' },
    { type: 'normal', label: running > 1 ? 'Stop all models' : 'Stop model', enabled: running > 0, intent: { kind: 'stop' } },
    ...tail,
  ];
}

/** "SGLang Switchboard — qwen, coder ready", "SGLang Switchboard — loading mistral: weights 40%". */
export function trayTooltip(state: EngineState | null, engineProcess: TrayEngineProcess | null = null): string {
  return state ? `${APP} — ${statusLine(state)}` : `${APP} — ${engineProcess?.message ?? 'engine not reachable'}`;
}

/**
 * The slots' state in a few words, models by their short name (first alias, else id): the ready
 * ones together first ("qwen, coder ready"), then each slot doing something else, then the warm
 * models asleep together ("mistral asleep"), joined by "; ". Stopped slots with nothing pending are left out.
 */
export function statusLine(state: EngineState): string {
  const shown = state.slots.filter((s) => s.status !== 'stopped' || s.pending);
  const settled = shown.filter((s) => s.status === 'ready' && !s.pending && s.modelId !== null);
  const asleep = shown.filter((s) => s.status === 'sleeping' && !s.pending && s.modelId !== null);
  const parts = settled.length > 0 ? [`${settled.map((s) => shortName(state, s.modelId!)).join(', ')} ready`] : [];
  for (const slot of shown) if (!settled.includes(slot) && !asleep.includes(slot)) parts.push(slotLine(state, slot));
  if (asleep.length > 0) parts.push(`${asleep.map((s) => shortName(state, s.modelId!)).join(', ')} asleep`);
  return parts.length > 0 ? parts.join('; ') : 'no model loaded';
}

function slotLine(state: EngineState, slot: SlotView): string {
  const switching = slot.pending ? `switching to ${shortName(state, slot.pending.modelId)}` : null;
  if (slot.modelId === null) return switching ?? 'no model loaded';
  const name = shortName(state, slot.modelId);
  switch (slot.status) {
    case 'ready':
      return switching ? `${name} ready · ${switching}` : `${name} ready`;
    case 'starting':
    case 'loading':
      return `loading ${name}: ${slot.progress ? phaseText(slot.progress) : 'starting'}`;
    case 'stopping':
      return switching ? `stopping ${name} · ${switching}` : `stopping ${name}`;
    case 'releasing':
      return `putting ${name} to sleep`;
    case 'sleeping':
      return switching && slot.pending?.modelId !== slot.modelId ? `${name} asleep · ${switching}` : `${name} asleep`;
    case 'waking':
      return `waking ${name}`;
    case 'failed':
      return `${name} failed${slot.failure ? `: ${slot.failure.message}` : ''}`;
    case 'stopped':
      return switching ?? 'no model loaded';
  }
}

function modelLabel(model: ModelView, slots: readonly SlotView[]): string {
  const queued = slots.some((s) => s.queue.some((q) => q.modelId === model.id));
  switch (model.status) {
    case 'loading': {
      if (slots.some((s) => s.modelId === model.id && s.status === 'waking')) return `${model.label} — waking…`;
      const loadingNow = slots.some((s) => s.modelId === model.id && (s.status === 'starting' || s.status === 'loading'));
      if (!loadingNow) return `${model.label} — ${queued ? 'queued' : 'switching…'}`;
      const fraction = model.progress?.phaseFraction;
      return `${model.label} — loading${fraction === undefined ? '…' : ` ${Math.round(fraction * 100)}%`}`;
    }
    case 'failed':
      return `⚠ ${model.label} — failed`;
    case 'sleeping':
      return queued ? `${model.label} (asleep) — queued` : `${model.label} (asleep)`;
    default:
      return queued ? `${model.label} — queued` : model.label;
  }
}

/** Every model loaded and ready; an engine from before multi-model slots sends only `activeModel`. */
function activeIds(state: EngineState): string[] {
  return state.activeModels ?? (state.activeModel ? [state.activeModel] : []);
}

/** "weights 40% (shard 4/9)", "kv cache", phase ids read as words. */
function phaseText(progress: LoadProgress): string {
  const percent = progress.phaseFraction === undefined ? '' : ` ${Math.round(progress.phaseFraction * 100)}%`;
  return `${progress.phase.replace(/_/g, ' ')}${percent}`;
}

function shortName(state: EngineState, modelId: string): string {
  const model = state.models.find((m) => m.id === modelId);
  return model?.aliases[0] ?? modelId;
}
