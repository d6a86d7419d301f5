import { activeModelIds, useEngineStore } from '../engine/engine-store.js';
import { summarizeSlotStatus } from '../engine/summarize-slot-status.js';
import { describeSlots } from './describe-slot.js';
import { ThemeToggle } from './theme-toggle.js';

/** The title bar: app name, the active models, what the slots are doing, the theme toggle. */
export function AppHeader() {
  // Strings, not arrays: a selector must return a value that stays equal while nothing changed.
  const active = useEngineStore((s) => activeModelIds(s.state).join(', '));
  const slots = useEngineStore((s) => s.state?.slots ?? null);
  const status = slots ? summarizeSlotStatus(slots) : undefined;
  const description = describeSlots(slots);
  return (
    <header className="app-header">
      <span className="app-title">SGLang Switchboard</span>
      <span className="header-active" aria-label="Active models" data-testid="active-model" title={active || undefined}>
        {active || 'none'}
      </span>
      <span className={`slot-status slot-${status ?? 'unknown'}`} role="status" aria-label="Slot status" data-testid="slot-status" data-status={status} title={description}>
        <span className="status-dot" aria-hidden="true" />
        {description}
      </span>
      <span className="header-spacer" />
      <ThemeToggle />
    </header>
  );
}
