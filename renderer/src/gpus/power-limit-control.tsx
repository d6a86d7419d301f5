import { useEffect, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { GpuSample } from '../../../shared/gpu-types.js';
import type { GpusStore } from './gpus-store.js';
import { secondsLeft } from './power-change.js';
import { checkPowerLimit, powerLimitBounds, stepPowerLimit } from './power-limit-bounds.js';

/** A GPU's power-limit slider (1 W steps, keyboard too), Apply, and the confirm-or-revert countdown. */
export function PowerLimitControl({ store, sample }: { store: GpusStore; sample: GpuSample }) {
  const { uuid, index } = sample;
  const draft = useStore(store, (s) => s.drafts[uuid]);
  const change = useStore(store, (s) => s.changes[uuid]);
  const error = useStore(store, (s) => s.errors[uuid]);
  const nowMs = useStore(store, (s) => s.nowMs);
  const { setDraft, applyPowerLimit, confirmPowerLimit, revertPowerLimit, dismiss } = store.getState();
  const bounds = powerLimitBounds(sample);
  const value = draft ?? sample.powerLimitW ?? bounds?.defaultW ?? Number.NaN;
  const [typed, setTyped] = useState(() => textOf(value));
  useEffect(() => setTyped(textOf(value)), [value]);

  if (!bounds) {
    return (
      <div className="power-limit">
        <span className="gpu-dim">Power limit {sample.powerLimitW ?? '—'} W · this GPU does not report its range, so it cannot be changed here.</span>
      </div>
    );
  }
  const check = checkPowerLimit(value, bounds);
  const busy = change?.kind === 'applying' || change?.kind === 'pending';
  const unchanged = value === sample.powerLimitW;

  function onSliderKey(event: KeyboardEvent<HTMLInputElement>) {
    const next = stepPowerLimit(value, event.key, bounds!);
    if (next === null) return;
    event.preventDefault();
    setDraft(uuid, next);
  }

  return (
    <div className="power-limit" role="group" aria-label={`Power limit of GPU ${index}`}>
      <div className="power-limit-row">
        <input
          type="range"
          min={bounds.minW}
          max={bounds.maxW}
          step={1}
          value={Number.isFinite(value) ? Math.min(bounds.maxW, Math.max(bounds.minW, value)) : bounds.minW}
          aria-label={`Power limit for GPU ${index}, watts`}
          aria-valuetext={`${textOf(value)} W`}
          data-testid={`power-slider-${index}`}
          disabled={busy}
          onChange={(e) => setDraft(uuid, Number(e.target.value))}
          onKeyDown={onSliderKey}
        />
        <input
          type="number"
          className="power-watts"
          min={bounds.minW}
          max={bounds.maxW}
          step={1}
          value={typed}
          aria-label={`Power limit for GPU ${index}, exact watts`}
          aria-invalid={!check.ok}
          data-testid={`power-input-${index}`}
          disabled={busy}
          onChange={(e) => {
            setTyped(e.target.value);
            setDraft(uuid, e.target.value.trim() === '' ? Number.NaN : Number(e.target.value));
          }}
        />
        <span aria-hidden="true">W</span>
        <button
          type="button"
          data-testid={`power-apply-${index}`}
          disabled={busy || !check.ok || unchanged}
          title={unchanged ? 'Already the limit' : undefined}
          onClick={() => void applyPowerLimit(uuid)}
        >
          {change?.kind === 'applying' ? 'Applying…' : 'Apply'}
        </button>
      </div>
      <div className="gpu-dim">
        Range {bounds.minW}–{bounds.maxW} W{bounds.defaultW !== null ? ` · default ${bounds.defaultW} W` : ''}
      </div>
      {!check.ok && !busy && (
        <p className="power-refusal" role="alert" data-testid={`power-refusal-${index}`}>
          {check.reason}
        </p>
      )}
      {change?.kind === 'pending' && (
        <div className="power-pending" role="status" data-testid={`power-countdown-${index}`}>
          <span>
            {change.watts} W set{change.viaPreset ? ' by the preset' : ''} · reverts to {change.change.previousW} W in{' '}
            <strong data-testid={`power-seconds-${index}`}>{secondsLeft(change.deadlineMs, nowMs)} s</strong> unless confirmed
          </span>
          <button type="button" className="primary" data-testid={`power-confirm-${index}`} disabled={change.busy !== null} onClick={() => void confirmPowerLimit(uuid)}>
            {change.busy === 'confirming' ? 'Confirming…' : 'Confirm'}
          </button>
          <button type="button" data-testid={`power-revert-${index}`} disabled={change.busy !== null} onClick={() => void revertPowerLimit(uuid)}>
            {change.busy === 'reverting' ? 'Reverting…' : 'Revert now'}
          </button>
        </div>
      )}
      {change?.kind === 'confirmed' && (
        <p className="power-outcome ok" role="status" data-testid={`power-outcome-${index}`}>
          Kept {change.watts} W. <DismissButton onClick={() => dismiss(uuid)} />
        </p>
      )}
      {change?.kind === 'reverted' && (
        <p className="power-outcome warn" role="status" data-testid={`power-outcome-${index}`}>
          {change.why === 'expired' ? 'Not confirmed in time: reverted' : 'Reverted'}
          {change.restoredW !== null ? ` to ${change.restoredW} W` : ''}. <DismissButton onClick={() => dismiss(uuid)} />
        </p>
      )}
      {error && (
        <p className="power-error" role="alert" data-testid={`power-error-${index}`}>
          {error.message} <DismissButton onClick={() => dismiss(uuid)} />
        </p>
      )}
    </div>
  );
}

function DismissButton({ onClick }: { onClick(): void }) {
  return (
    <button type="button" className="link" aria-label="Dismiss" onClick={onClick}>
      ✕
    </button>
  );
}

function textOf(watts: number): string {
  return Number.isFinite(watts) ? String(watts) : '';
}
