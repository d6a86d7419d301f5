import { create } from 'zustand';

/** A short notice inside the window (a switch ended while another screen was shown). */
export interface Toast {
  id: number;
  title: string;
  body: string;
  tone: 'ok' | 'bad';
  /** The screen a click opens. */
  screen?: string;
}

/** Toasts shown at once; older ones drop off. */
const MAX_TOASTS = 3;

export interface ToastState {
  toasts: Toast[];
  push(toast: Omit<Toast, 'id'>): number;
  dismiss(id: number): void;
}

let nextId = 1;

/** The window's toasts (the shell renders them; features push). */
export const useToastStore = create<ToastState>()((set) => ({
  toasts: [],
  push(toast) {
    const id = nextId++;
    set((s) => ({ toasts: [...s.toasts, { ...toast, id }].slice(-MAX_TOASTS) }));
    return id;
  },
  dismiss(id) {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },
}));
