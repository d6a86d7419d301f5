import { useEffect, useState } from 'react';

/** The current time in ms, re-rendering every `intervalMs` while `ticking` (elapsed and ETA counters). */
export function useNow(intervalMs = 1000, ticking = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, ticking]);
  return now;
}
