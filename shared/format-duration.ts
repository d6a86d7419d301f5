/**
 * "0m42s", "12m05s", "1h02m05s": minutes always shown so a column of durations lines up. The one
 * format for a duration the user reads, in the CLI's tables, the UI and the desktop notifications.
 */
export function formatDuration(ms: number): string {
  const totalS = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = String(totalS % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${s}s` : `${m}m${s}s`;
}
