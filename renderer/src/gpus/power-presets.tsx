import { useStore } from 'zustand';
import type { GpusStore } from './gpus-store.js';
import { secondsLeft } from './power-change.js';
import { presetRefusals } from './power-limit-bounds.js';

/** The catalog's power presets for every GPU at once, with the same confirm-or-revert countdown. */
export function PowerPresets({ store }: { store: GpusStore }) {
  const presetsW = useStore(store, (s) => s.presetsW);
  const samples = useStore(store, (s) => s.samples);
  const preset = useStore(store, (s) => s.preset);
  const nowMs = useStore(store, (s) => s.nowMs);
  const { applyPreset, confirmPreset, revertPreset } = store.getState();
  if (presetsW.length === 0 || samples.length === 0) return null;
  const busy = preset.kind === 'applying' || preset.kind === 'pending';
  return (
    <section className="power-presets" aria-label="Power presets for all GPUs">
      <span className="gpu-dim">All GPUs:</span>
      {presetsW.map((watts) => {
        const refusals = presetRefusals(watts, samples);
        return (
          <button
            key={watts}
            type="button"
            data-testid={`preset-${watts}`}
            aria-label={`Set every GPU to ${watts} W`}
            disabled={busy || refusals.length > 0}
            title={refusals.map((r) => `GPU ${r.index}: ${r.reason}`).join(' ') || undefined}
            onClick={() => void applyPreset(watts)}
          >
            {watts} W
          </button>
        );
      })}
      {preset.kind === 'applying' && <span role="status">Applying {preset.watts} W…</span>}
      {preset.kind === 'pending' && (
        <span className="power-pending" role="status" data-testid="preset-countdown">
          <span>
            Every GPU at {preset.watts} W · reverts in <strong>{secondsLeft(preset.deadlineMs, nowMs)} s</strong> unless confirmed
          </span>
          <button type="button" className="primary" data-testid="preset-confirm" disabled={preset.busy !== null} onClick={() => void confirmPreset()}>
            Confirm all
          </button>
          <button type="button" data-testid="preset-revert" disabled={preset.busy !== null} onClick={() => void revertPreset()}>
            Revert all
          </button>
        </span>
      )}
      {preset.kind === 'confirmed' && (
        <span role="status" className="ok">
          Kept {preset.watts} W on every GPU.
        </span>
      )}
      {preset.kind === 'reverted' && (
        <span role="status" className="warn">
          {preset.why === 'expired' ? 'Not confirmed in time: ' : ''}the {preset.watts} W preset was reverted.
        </span>
      )}
      {preset.kind === 'error' && (
        <span role="alert" className="power-error" data-testid="preset-error">
          {preset.message}
        </span>
      )}
    </section>
  );
}
