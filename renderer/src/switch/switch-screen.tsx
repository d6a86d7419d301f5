/** Placeholder until its feature lands. */
export function SwitchScreen() {
  return <section aria-label="switch-screen">Not built yet.</section>;
}
