import { createStore, type StoreApi } from 'zustand/vanilla';
import type { LogLine } from '../../../shared/engine-state.js';
import type { ApiHub } from '../api/api-hub.js';
import { formatLogLine } from './format-log-line.js';
import { LogBatcher } from './log-batcher.js';

/** Where the feed writes: the terminal. */
export interface LogSink {
  /** Writes terminal text; calls `done` once the terminal has taken it (xterm's write callback). */
  write(text: string, done: () => void): void;
  clear(): void;
  scrollToBottom(): void;
}

/** The key-value part of Storage the store persists its one setting in. */
export type SettingStorage = Pick<Storage, 'getItem' | 'setItem'>;

export interface LogsStoreOptions {
  /** Runs `callback` before the next paint; returns a cancel function. Default requestAnimationFrame. */
  scheduleFrame?: (callback: () => void) => () => void;
  /** Lines written per frame at most (default 1,000); the rest wait for later frames. */
  maxLinesPerFrame?: number;
  format?: (line: LogLine) => string;
  /** Default localStorage; null keeps the setting in memory. */
  storage?: SettingStorage | null;
}

/** Scrollback sizes offered; the default keeps the engine's own tail (10,000 lines). */
export const SCROLLBACK_CHOICES = [1_000, 5_000, 10_000, 50_000, 100_000] as const;
export const DEFAULT_SCROLLBACK_LINES = 10_000;
/** `logs.tail` answers at most this many lines. */
const MAX_TAIL_LINES = 10_000;
const SCROLLBACK_KEY = 'switchboard.logs.scrollbackLines';

export interface LogsState {
  status: 'idle' | 'loading' | 'live' | 'error';
  error: string | null;
  /** Following: new lines are written and the view scrolls. Paused: lines wait (bounded) and the view stays. */
  following: boolean;
  /** Lines that arrived since pausing (shown when following resumes, unless dropped). */
  newLines: number;
  /** Lines never shown because too many arrived at once (since the last clear). */
  droppedLines: number;
  /** Lines written to the terminal since the last clear. */
  shownLines: number;
  scrollbackLines: number;
  /** Loads the tail and follows `log` events; returns the stop function. */
  start(): () => void;
  attachSink(sink: LogSink | null): void;
  setFollowing(following: boolean): void;
  setScrollbackLines(lines: number): void;
  clear(): void;
}

export type LogsStore = StoreApi<LogsState>;

/**
 * The Logs screen's store: the `logs.tail` + `log` event feed, batched into one terminal write per
 * animation frame (never one per line), with pause, drop counting and the scrollback setting.
 */
export function createLogsStore(hub: ApiHub, options: LogsStoreOptions = {}): LogsStore {
  const scheduleFrame = options.scheduleFrame ?? animationFrame;
  const storage = options.storage === undefined ? defaultStorage() : options.storage;
  const scrollbackLines = readScrollback(storage);
  const batcher = new LogBatcher({ maxPendingLines: scrollbackLines, maxLinesPerFlush: options.maxLinesPerFrame ?? 1_000, format: options.format ?? formatLogLine });

  let sink: LogSink | null = null;
  let writing = false;
  let cancelFrame: (() => void) | null = null;
  let lastSeq = 0;
  let shown = 0;
  let newSincePause = 0;
  let generation = 0;

  const store = createStore<LogsState>()((set, get) => {
    function requestFrame(): void {
      if (!cancelFrame) cancelFrame = scheduleFrame(onFrame);
    }

    function onFrame(): void {
      cancelFrame = null;
      if (sink && get().following && !writing) {
        const chunk = batcher.flush();
        if (chunk) {
          writing = true;
          shown += chunk.lines;
          const target = sink;
          target.write(chunk.text, () => {
            if (sink !== target) return;
            writing = false;
            if (batcher.hasPending && get().following) requestFrame();
          });
        }
      }
      publish();
    }

    /** Counters reach React at most once per frame, however many lines arrived. */
    function publish(): void {
      const s = get();
      const next = { shownLines: shown, droppedLines: batcher.droppedTotal, newLines: s.following ? 0 : newSincePause };
      if (next.shownLines !== s.shownLines || next.droppedLines !== s.droppedLines || next.newLines !== s.newLines) set(next);
    }

    function accept(line: LogLine): void {
      if (line.seq <= lastSeq) return;
      lastSeq = line.seq;
      batcher.push(line);
      if (!get().following) newSincePause++;
      requestFrame();
    }

    return {
      status: 'idle',
      error: null,
      following: true,
      newLines: 0,
      droppedLines: 0,
      shownLines: 0,
      scrollbackLines,

      start() {
        const mine = ++generation;
        let early: LogLine[] | null = [];
        const off = hub.on('log', ({ line }) => {
          if (mine !== generation) return;
          if (early) {
            early.push(line);
            // Lines beyond the scrollback would leave the terminal at once anyway; trim in halves (amortised O(1)).
            if (early.length > 2 * get().scrollbackLines) early.splice(0, early.length - get().scrollbackLines);
          } else accept(line);
        });
        set({ status: 'loading', error: null });
        hub
          .call('logs.tail', { tail: Math.min(get().scrollbackLines, MAX_TAIL_LINES) })
          .then(
            (lines) => {
              if (mine !== generation) return;
              for (const line of lines) accept(line);
              set({ status: 'live' });
            },
            (err: unknown) => {
              if (mine === generation) set({ status: 'error', error: `Could not load the log tail: ${messageOf(err)}` });
            },
          )
          .finally(() => {
            if (mine !== generation) return;
            const waiting = early ?? [];
            early = null;
            for (const line of waiting) accept(line);
          });
        return () => {
          off();
          if (mine === generation) generation++;
          cancelFrame?.();
          cancelFrame = null;
        };
      },

      attachSink(next) {
        sink = next;
        writing = false;
        if (next && batcher.hasPending) requestFrame();
      },

      setFollowing(following) {
        if (following === get().following) return;
        if (following) {
          newSincePause = 0;
          set({ following: true, newLines: 0 });
          sink?.scrollToBottom();
          requestFrame();
        } else {
          newSincePause = 0;
          set({ following: false });
        }
      },

      setScrollbackLines(lines) {
        if (!(SCROLLBACK_CHOICES as readonly number[]).includes(lines)) return;
        batcher.setMaxPendingLines(lines);
        storage?.setItem(SCROLLBACK_KEY, String(lines));
        set({ scrollbackLines: lines });
      },

      clear() {
        batcher.clear();
        sink?.clear();
        shown = 0;
        newSincePause = 0;
        set({ shownLines: 0, droppedLines: 0, newLines: 0 });
      },
    };
  });
  return store;
}

function readScrollback(storage: SettingStorage | null): number {
  const saved = Number(storage?.getItem(SCROLLBACK_KEY));
  return (SCROLLBACK_CHOICES as readonly number[]).includes(saved) ? saved : DEFAULT_SCROLLBACK_LINES;
}

function defaultStorage(): SettingStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function animationFrame(callback: () => void): () => void {
  if (typeof requestAnimationFrame !== 'function') {
    const timer = setTimeout(callback, 16);
    return () => clearTimeout(timer);
  }
  const id = requestAnimationFrame(callback);
  return () => cancelAnimationFrame(id);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
