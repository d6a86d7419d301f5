/** A time of day for today's events ("14:03:12"), with the date for older ones. */
export function formatClock(ms: number): string {
  const date = new Date(ms);
  const sameDay = new Date().toDateString() === date.toDateString();
  return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
}
