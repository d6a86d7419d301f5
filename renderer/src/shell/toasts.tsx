import { useEffect } from 'react';
import { useToastStore, type Toast } from './toast-store.js';

/** How long a toast stays unless dismissed. */
const TOAST_MS = 10_000;

/** The toast area (bottom right), announced politely. */
export function Toasts() {
  const toasts = useToastStore((s) => s.toasts);
  return (
    <div className="toasts" role="status" aria-live="polite" aria-label="Notifications">
      {toasts.map((t) => (
        <ToastItem key={t.id} toast={t} />
      ))}
    </div>
  );
}

function ToastItem({ toast }: { toast: Toast }) {
  const dismiss = useToastStore((s) => s.dismiss);
  useEffect(() => {
    const timer = setTimeout(() => dismiss(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id, dismiss]);
  return (
    <div className={`toast toast-${toast.tone}`} data-testid="toast">
      <div className="toast-text">
        <strong>{toast.title}</strong>
        <span>{toast.body}</span>
      </div>
      {toast.screen && (
        <a href={`#${toast.screen}`} onClick={() => dismiss(toast.id)}>
          Show
        </a>
      )}
      <button type="button" className="link" aria-label="Dismiss notification" onClick={() => dismiss(toast.id)}>
        ✕
      </button>
    </div>
  );
}
