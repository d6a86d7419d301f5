import { THEME_CHOICES, useThemeStore, type ThemeChoice } from './theme-store.js';

const LABELS: Record<ThemeChoice, string> = { system: 'System', dark: 'Dark', light: 'Light' };
const NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'dark', dark: 'light', light: 'system' };
const ICONS: Record<ThemeChoice, string> = { system: '◐', dark: '☾', light: '☀' };

/** A header button cycling system → dark → light. */
export function ThemeToggle() {
  const choice = useThemeStore((s) => s.choice);
  const setChoice = useThemeStore((s) => s.setChoice);
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={`Theme: ${LABELS[choice]} (switch to ${LABELS[NEXT[choice]]})`}
      title={`Theme: ${LABELS[choice]}`}
      onClick={() => setChoice(NEXT[choice])}
    >
      <span aria-hidden="true">{ICONS[choice]}</span>
    </button>
  );
}

/** The same choice as a radio group (Settings). */
export function ThemeChoiceGroup() {
  const choice = useThemeStore((s) => s.choice);
  const setChoice = useThemeStore((s) => s.setChoice);
  return (
    <div className="segmented" role="radiogroup" aria-label="Theme">
      {THEME_CHOICES.map((c) => (
        <label key={c}>
          <input type="radio" name="theme" value={c} checked={choice === c} onChange={() => setChoice(c)} />
          {LABELS[c]}
        </label>
      ))}
    </div>
  );
}
