import type { ModelStatus } from '../../../shared/engine-state.js';

const TITLES: Partial<Record<ModelStatus, string>> = {
  sleeping: 'Asleep: its server keeps running with the GPU memory released; a request or Switch wakes it in seconds',
};

/** A model's state as a coloured word (loaded / loading / sleeping / failed / unloaded). */
export function StatusBadge({ status }: { status: ModelStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status} title={TITLES[status]}>
      {status}
    </span>
  );
}
