/** Placeholder until its feature lands. */
export function ModelsScreen() {
  return <section aria-label="models-screen">Not built yet.</section>;
}
