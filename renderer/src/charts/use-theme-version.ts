import { useEffect, useState } from 'react';

/**
 * A number that changes whenever the theme may have changed: the OS colour scheme, or `data-theme` on the
 * root element. Canvas-based widgets (uPlot, xterm) re-read their colours when it changes.
 */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: light)') : null;
    media?.addEventListener('change', bump);
    const observer = typeof MutationObserver === 'function' ? new MutationObserver(bump) : null;
    observer?.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class'] });
    return () => {
      media?.removeEventListener('change', bump);
      observer?.disconnect();
    };
  }, []);
  return version;
}
