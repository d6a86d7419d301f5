import { useNow } from '../switch/use-now.js';

/** "4:32", "1:02:05": time left, rounded up to the second. */
export function formatCountdown(ms: number): string {
  const totalS = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = String(totalS % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "unloads in 4:32": the engine's idle unload of a loaded model, counted down every second. */
export function IdleCountdown({ atMs, testId }: { atMs: number; testId?: string }) {
  const now = useNow(1000);
  const leftMs = atMs - now;
  return (
    <span className="tag tag-idle" data-testid={testId} title={`Unloaded at ${new Date(atMs).toLocaleTimeString()} unless a request comes first`}>
      {leftMs > 0 ? `unloads in ${formatCountdown(leftMs)}` : 'unloading…'}
    </span>
  );
}
