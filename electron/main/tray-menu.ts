import type { EngineState, ModelView, SlotView } from '../../shared/engine-state.js';
import type { LoadProgress } from '../../shared/load-phase.js';

/** What clicking a tray item asks for; tray.ts carries it out. */
export type TrayIntent = { kind: 'switch'; model: string } | { kind: 'stop' } | { kind: 'show' } | { kind: 'quit' };

/** One tray menu item as plain data (tray.ts turns it into an Electron MenuItem). */
export interface TrayItem {
  type: 'normal' | 'radio' | 'separator';
  label?: string;
  checked?: boolean;
  enabled?: boolean;
  intent?: TrayIntent;
}

const APP = 'SGLang Switchboard';

/**
 * The tray menu for a state (null: the engine is not reachable). A status line first (trays that
 * show no tooltip, like GNOME's AppIndicator, still say what is going on), then every switchable
 * model as a radio item (the loaded one checked; the loading one "— loading 42%"; a failed one
 * "⚠ … — failed"), Stop model, Show window, Quit. Upstream models are never switched: not listed.
 */
export function trayMenuItems(state: EngineState | null): TrayItem[] {
  const tail: TrayItem[] = [{ type: 'separator' }, { type: 'normal', label: 'Show window', intent: { kind: 'show' } }, { type: 'normal', label: `Quit ${APP}`, intent: { kind: 'quit' } }];
  if (!state) return [{ type: 'normal', label: 'Engine not reachable', enabled: false }, ...tail];
  const slot = state.slots[0];
  const models = state.models.filter((m) => m.kind !== 'upstream');
  const modelItems: TrayItem[] = models.map((model) => ({
    type: 'radio',
    label: modelLabel(model, slot),
    checked: model.status === 'loaded' && state.activeModel === model.id,
    intent: { kind: 'switch', model: model.id },
  }));
  const canStop = slot !== undefined && slot.status !== 'stopped' && slot.status !== 'stopping';
  return [
    { type: 'normal', label: statusLine(state), enabled: false },
    { type: 'separator' },
    ...(modelItems.length > 0 ? modelItems : [{ type: 'normal' as const, label: 'No models in the catalog', enabled: false }]),
    { type: 'separator' },
    { type: 'normal', label: 'Stop model', enabled: canStop, intent: { kind: 'stop' } },
    ...tail,
  ];
}

/** "SGLang Switchboard — qwen ready", "SGLang Switchboard — loading mistral: weights 40%". */
export function trayTooltip(state: EngineState | null): string {
  return state ? `${APP} — ${statusLine(state)}` : `${APP} — engine not reachable`;
}

/** The slot's state in a few words, models by their short name (first alias, else id). */
export function statusLine(state: EngineState): string {
  const slot = state.slots[0];
  if (!slot || slot.modelId === null) return slot?.pending ? `switching to ${shortName(state, slot.pending.modelId)}` : 'no model loaded';
  const name = shortName(state, slot.modelId);
  switch (slot.status) {
    case 'ready':
      return slot.pending ? `${name} ready · switching to ${shortName(state, slot.pending.modelId)}` : `${name} ready`;
    case 'starting':
    case 'loading':
      return `loading ${name}: ${slot.progress ? phaseText(slot.progress) : 'starting'}`;
    case 'stopping':
      return slot.pending ? `stopping ${name} · switching to ${shortName(state, slot.pending.modelId)}` : `stopping ${name}`;
    case 'failed':
      return `${name} failed${slot.failure ? `: ${slot.failure.message}` : ''}`;
    case 'stopped':
      return 'no model loaded';
  }
}

function modelLabel(model: ModelView, slot: SlotView | undefined): string {
  const queued = slot?.queue.some((q) => q.modelId === model.id) ?? false;
  switch (model.status) {
    case 'loading': {
      const loadingNow = slot?.modelId === model.id && (slot.status === 'starting' || slot.status === 'loading');
      if (!loadingNow) return `${model.label} — ${queued ? 'queued' : 'switching…'}`;
      const fraction = model.progress?.phaseFraction;
      return `${model.label} — loading${fraction === undefined ? '…' : ` ${Math.round(fraction * 100)}%`}`;
    }
    case 'failed':
      return `⚠ ${model.label} — failed`;
    default:
      return queued ? `${model.label} — queued` : model.label;
  }
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
