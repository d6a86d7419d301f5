import type { ModelStatus } from '../../../shared/engine-state.js';

/** A model's state as a coloured word (loaded / loading / failed / unloaded). */
export function StatusBadge({ status }: { status: ModelStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {status}
    </span>
  );
}
