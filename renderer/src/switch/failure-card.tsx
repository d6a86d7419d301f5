import type { Failure } from '../../../shared/failure.js';
import { LOAD_PHASE_LABELS, type LoadPhase } from '../../../shared/load-phase.js';

/** Last log lines shown under a failure. */
const LINES_SHOWN = 30;

/** A failed load: what happened, why (cause), what to change (hint) and the log lines before it. */
export function FailureCard({ failure, modelId, lines }: { failure: Failure; modelId: string | null; lines: string[] }) {
  const shown = (failure.lastLines?.length ? failure.lastLines : lines).slice(-LINES_SHOWN);
  const phase = failure.phase && failure.phase in LOAD_PHASE_LABELS ? LOAD_PHASE_LABELS[failure.phase as LoadPhase] : failure.phase;
  return (
    <section className="failure-card" data-testid="failure-card" role="alert" aria-label="Load failure">
      <h3>
        {modelId ?? 'The model'} failed: {failure.message}
      </h3>
      <dl className="failure-facts">
        <dt>Cause</dt>
        <dd className="failure-cause">{failure.cause}</dd>
        {phase && (
          <>
            <dt>Phase</dt>
            <dd>{phase}</dd>
          </>
        )}
        {(failure.exitCode !== undefined && failure.exitCode !== null) || failure.exitSignal ? (
          <>
            <dt>Exit</dt>
            <dd>{failure.exitSignal ?? `code ${failure.exitCode}`}</dd>
          </>
        ) : null}
        <dt>Fix</dt>
        <dd className="failure-hint">{failure.hint}</dd>
      </dl>
      {shown.length > 0 ? (
        <pre className="failure-lines" aria-label="Last log lines" tabIndex={0}>
          {shown.join('\n')}
        </pre>
      ) : (
        <p className="dim">No log lines were kept for this failure.</p>
      )}
    </section>
  );
}
