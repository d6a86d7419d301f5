/** Placeholder until its feature lands. */
export function GpusScreen() {
  return <section aria-label="gpus-screen">Not built yet.</section>;
}
