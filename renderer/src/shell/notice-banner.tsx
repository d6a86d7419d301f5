import { useState } from 'react';
import type { EngineNotice } from '../../../shared/engine-state.js';
import { useEngineStore } from '../engine/engine-store.js';

const NO_NOTICES: EngineNotice[] = [];

/**
 * The engine's notices (a state dir it cannot write, a leftover server it stopped or adopted), one
 * line each, above every screen. Dismissing hides a notice in this window until the engine renews it.
 */
export function NoticeBanner() {
  const notices = useEngineStore((s) => s.state?.notices ?? NO_NOTICES);
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const shown = notices.filter((n) => !dismissed.has(noticeKey(n)));
  if (shown.length === 0) return null;
  return (
    <ul className="notice-banner" aria-label="Engine notices" data-testid="notice-banner">
      {shown.map((notice) => (
        <li key={notice.id} className={`notice notice-${notice.level}`} role={notice.level === 'error' ? 'alert' : 'status'} data-testid={`notice-${notice.id}`}>
          <span className="notice-text">{notice.message}</span>
          <button type="button" className="notice-dismiss" aria-label="Dismiss" title="Dismiss" onClick={() => setDismissed((old) => new Set([...old, noticeKey(notice)]))}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

/** A renewed notice (same id, new time or text) shows again. */
function noticeKey(notice: EngineNotice): string {
  return `${notice.id}@${notice.atMs}`;
}
