import type { PhaseStep, PhaseStepState } from './phase-steps.js';

const STATE_WORDS: Record<PhaseStepState, string> = {
  done: 'done',
  current: 'in progress',
  pending: 'not yet',
  skipped: 'skipped',
  failed: 'failed',
  cancelled: 'cancelled',
};

const STATE_MARKS: Record<PhaseStepState, string> = {
  done: '✓',
  current: '●',
  pending: '○',
  skipped: '–',
  failed: '✕',
  cancelled: '■',
};

/** The load phases in order, each marked done / current / pending / skipped / failed, the current one with its progress. */
export function PhaseTimeline({ steps }: { steps: PhaseStep[] }) {
  return (
    <ol className="phase-timeline" aria-label="Load phases">
      {steps.map((step) => (
        <li key={step.phase} className={`phase phase-${step.state}`} data-testid={`phase-${step.phase}`} data-state={step.state} aria-current={step.state === 'current' ? 'step' : undefined}>
          <span className="phase-mark" aria-hidden="true">
            {STATE_MARKS[step.state]}
          </span>
          <span className="phase-label">{step.label}</span>
          <span className="phase-state">{STATE_WORDS[step.state]}</span>
          {step.fraction !== undefined && <span className="phase-fraction">{Math.round(step.fraction * 100)}%</span>}
          {(step.detail || step.fraction !== undefined) && (
            <span className="phase-detail">
              {step.state === 'current' && step.fraction !== undefined && (
                <span className="phase-bar" aria-hidden="true">
                  <span style={{ width: `${Math.round(step.fraction * 100)}%` }} />
                </span>
              )}
              {step.detail}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
