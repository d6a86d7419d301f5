import { create } from 'zustand';

/** The colour theme: follow the OS, or force one. */
export type ThemeChoice = 'system' | 'dark' | 'light';

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'dark', 'light'];
export const THEME_STORAGE_KEY = 'switchboard.theme';

export interface ThemeState {
  choice: ThemeChoice;
  setChoice(choice: ThemeChoice): void;
}

function isThemeChoice(value: unknown): value is ThemeChoice {
  return typeof value === 'string' && (THEME_CHOICES as readonly string[]).includes(value);
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled (some browser privacy modes)
  }
}

/** The persisted choice ('system' when none or unreadable). */
export function readThemeChoice(): ThemeChoice {
  const stored = storage()?.getItem(THEME_STORAGE_KEY);
  return isThemeChoice(stored) ? stored : 'system';
}

/** Sets data-theme on <html> ('system' removes it so the stylesheet follows prefers-color-scheme). */
export function applyTheme(choice: ThemeChoice, root: HTMLElement = document.documentElement): void {
  if (choice === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', choice);
}

/** The theme choice, persisted in localStorage and applied to <html> when it changes. */
export const useThemeStore = create<ThemeState>()((set) => ({
  choice: readThemeChoice(),
  setChoice(choice) {
    storage()?.setItem(THEME_STORAGE_KEY, choice);
    applyTheme(choice);
    set({ choice });
  },
}));
