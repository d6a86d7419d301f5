/** Placeholder until its feature lands. */
export function ThroughputScreen() {
  return <section aria-label="throughput-screen">Not built yet.</section>;
}
