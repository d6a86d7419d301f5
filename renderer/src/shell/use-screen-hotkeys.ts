import { useEffect } from 'react';

/** Alt+1…Alt+N calls `select(index)` (0-based) for the first `count` screens. */
export function useScreenHotkeys(count: number, select: (index: number) => void): void {
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      // `code` survives keyboard layouts where Alt+digit types another character.
      const match = /^(?:Digit|Numpad)(\d)$/.exec(event.code) ?? /^(\d)$/.exec(event.key);
      const index = match ? Number(match[1]) - 1 : -1;
      if (index < 0 || index >= count) return;
      event.preventDefault();
      select(index);
    }
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [count, select]);
}
