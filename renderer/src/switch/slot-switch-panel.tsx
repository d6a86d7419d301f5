import type { SlotView } from '../../../shared/engine-state.js';
import { describeStall } from '../../../shared/stall-timeouts.js';
import { formatSlotGpus } from '../engine/format-slot-gpus.js';
import { FailureCard } from './failure-card.js';
import { FitComparisonTable } from './fit-comparison-table.js';
import { formatDuration } from '../../../shared/format-duration.js';
import { overallFraction, phaseSteps } from './phase-steps.js';
import { PhaseTimeline } from './phase-timeline.js';
import { elapsedMs, etaLeftMs, type SwitchTrack } from './switch-track.js';
import { useNow } from './use-now.js';

/** One slot's switch, titled with the slot's GPUs: summary, elapsed and ETA, a progress bar, the phase timeline and the failure if any. */
export function SlotSwitchPanel({ track, slot, failureLines }: { track: SwitchTrack; slot: SlotView | undefined; failureLines: string[] }) {
  const now = useNow(1000, track.active);
  const elapsed = elapsedMs(track, now);
  const left = etaLeftMs(track, now);
  const fraction = overallFraction(track, elapsed, left);
  const stall = slot && (slot.status === 'starting' || slot.status === 'loading') ? describeStall(slot.stall, now) : null;
  const showTimeline = track.phase !== null;
  // A slot the engine no longer lists (catalog changed) is named by its id.
  const where = slot ? formatSlotGpus(slot.gpus) : `slot ${track.slotId}`;
  return (
    <section className="panel slot-panel" aria-label={`Slot on ${where}`} data-testid={`slot-${track.slotId}`}>
      <p className="slot-where" data-testid="slot-gpus">
        {where}
        {slot && <span className="dim"> · port {slot.port}</span>}
      </p>
      <h2 className="slot-summary" data-testid="switch-summary">
        {summaryOf(track)}
      </h2>
      {track.status === 'sleeping' && !track.active && (
        <p className="dim" data-testid="switch-asleep">
          GPU memory released; its server keeps running. A request or Switch wakes it in seconds.
        </p>
      )}
      {track.wakeFellBack && (
        <p className="dim" data-testid="switch-wake-fallback">
          Waking it did not work: its server was stopped and the model is loaded cold instead.
        </p>
      )}
      {track.active && track.fromModelId && (
        <p className="dim">
          Replacing {track.fromModelId}
          {track.draining ? ' — waiting for its in-flight requests to finish' : ''}
        </p>
      )}
      <div className="switch-times">
        {elapsed !== null && (
          <span data-testid="switch-elapsed">
            {track.active ? 'Elapsed' : 'Took'} {formatDuration(elapsed)}
          </span>
        )}
        {track.active && <span data-testid="switch-eta">{left === null ? 'ETA unknown' : left > 0 ? `~${formatDuration(left)} left` : 'any moment now'}</span>}
        {track.active && track.waiters > 0 && <span>{track.waiters} waiting</span>}
      </div>
      {track.active && stall && (
        <p className="switch-stall" role="status" data-testid="switch-stall">
          ⚠ {stall}
        </p>
      )}
      {track.active && (
        <div
          className="progress"
          role="progressbar"
          aria-label="Switch progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
          data-indeterminate={fraction === null ? '' : undefined}
        >
          <div className="progress-fill" style={{ width: `${Math.round((fraction ?? 0) * 100)}%` }} />
        </div>
      )}
      {showTimeline && <PhaseTimeline steps={phaseSteps(track)} />}
      {slot?.fit && slot.modelId === track.modelId && !isAsleep(slot) && <FitComparisonTable fit={slot.fit} loading={slot.status !== 'ready'} />}
      {track.failure && track.status === 'failed' && <FailureCard failure={track.failure} modelId={track.modelId} lines={failureLines} />}
      {slot && slot.queue.length > 0 && (
        <p className="dim" data-testid="switch-queued">
          Next: {slot.queue.map((q) => q.modelId).join(', ')}
        </p>
      )}
    </section>
  );
}

/** Going to sleep or asleep: its GPU memory is (being) released, the fit figures no longer hold. */
function isAsleep(slot: SlotView): boolean {
  return slot.status === 'releasing' || slot.status === 'sleeping';
}

function summaryOf(track: SwitchTrack): string {
  const model = track.modelId ?? 'the model';
  if (track.kind === 'stop') return `Stopping ${model}…`;
  if (track.kind === 'sleep') return `Putting ${model} to sleep…`;
  if (track.active) return track.wake ? `Waking ${model}…` : `Switching to ${model}…`;
  if (track.outcome === 'ready' || track.status === 'ready') return `${model} is ready`;
  if (track.status === 'sleeping') return `${model} is asleep`;
  if (track.outcome === 'failed' || track.status === 'failed') return `${model} failed to load`;
  if (track.outcome === 'cancelled') return track.wake ? `Waking ${model} was cancelled` : `Switch to ${model} was cancelled`;
  return 'No model loaded';
}
