import { useEngineStore } from '../engine/engine-store.js';
import { describeSlot } from './describe-slot.js';
import { ThemeToggle } from './theme-toggle.js';

/** The title bar: app name, the active model, what the slot is doing, the theme toggle. */
export function AppHeader() {
  const activeModel = useEngineStore((s) => s.state?.activeModel ?? null);
  const slot = useEngineStore((s) => s.state?.slots[0] ?? null);
  return (
    <header className="app-header">
      <span className="app-title">SGLang Switchboard</span>
      <span className="header-active" aria-label="Active model" data-testid="active-model">
        {activeModel ?? 'none'}
      </span>
      <span className={`slot-status slot-${slot?.status ?? 'unknown'}`} role="status" aria-label="Slot status" data-testid="slot-status" data-status={slot?.status}>
        <span className="status-dot" aria-hidden="true" />
        {describeSlot(slot)}
      </span>
      <span className="header-spacer" />
      <ThemeToggle />
    </header>
  );
}
