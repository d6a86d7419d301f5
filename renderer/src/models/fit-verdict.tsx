import type { FitEstimate } from '../../../shared/fit-estimate.js';

/** Short verdict labels (the catalog row's tag; `unknown` shows none there). */
export const FIT_LABELS: Record<FitEstimate['verdict'], string | null> = { fits: 'fits', tight: 'tight', will_not_fit: 'will not fit', unknown: null };

const FORM_HEADLINES: Record<FitEstimate['verdict'], string> = {
  fits: 'Fits its GPUs',
  tight: 'Fits, but tight: fewer KV cache tokens than one full context',
  will_not_fit: 'Will not fit: a switch to it is refused unless forced',
  unknown: 'Fit unknown: no GPU memory readings yet',
};

/** The model form's live estimate of the draft on its GPUs as they are now. */
export function FitEstimateNote({ fit }: { fit: FitEstimate }) {
  return (
    <div className={`fit-note fit-${fit.verdict}`} data-testid="form-fit" data-verdict={fit.verdict} role="status" aria-live="polite">
      <strong>{FORM_HEADLINES[fit.verdict]}</strong>
      <span className="dim"> — {fit.summary}</span>
    </div>
  );
}
