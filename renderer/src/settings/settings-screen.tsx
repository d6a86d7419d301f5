/** Placeholder until its feature lands. */
export function SettingsScreen() {
  return <section aria-label="settings-screen">Not built yet.</section>;
}
