/** Placeholder until its feature lands. */
export function LogsScreen() {
  return <section aria-label="logs-screen">Not built yet.</section>;
}
