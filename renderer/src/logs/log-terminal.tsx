import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon, type ISearchOptions } from '@xterm/addon-search';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useImperativeHandle, useRef, type Ref } from 'react';
import { useStore } from 'zustand';
import { mixColors, readThemeColors, toHex6, withAlpha, type ThemeColors } from '../charts/read-theme-colors.js';
import { useThemeVersion } from '../charts/use-theme-version.js';
import type { LogsStore } from './logs-store.js';
import { readTerminalText } from './read-terminal-text.js';

/** What the screen's toolbar can do with the terminal. */
export interface LogTerminalHandle {
  findNext(query: string, incremental?: boolean): boolean;
  findPrevious(query: string): boolean;
  clearSearch(): void;
  focus(): void;
  /** The selection when there is one, else every line the terminal holds. */
  copyText(): string;
}

export interface LogTerminalProps {
  store: LogsStore;
  ref?: Ref<LogTerminalHandle>;
  /** Ctrl+F (or Cmd+F) pressed inside the terminal. */
  onSearchShortcut(): void;
  onSearchResults?(results: { index: number; count: number }): void;
}

/** The xterm.js view of the log feed: read-only, fitted to its box, themed from the CSS variables. */
export function LogTerminal({ store, ref, onSearchShortcut, onSearchResults }: LogTerminalProps) {
  const box = useRef<HTMLDivElement>(null);
  const parts = useRef<{ term: Terminal; search: SearchAddon; colors: ThemeColors } | null>(null);
  const callbacks = useRef({ onSearchShortcut, onSearchResults });
  callbacks.current = { onSearchShortcut, onSearchResults };
  const scrollbackLines = useStore(store, (s) => s.scrollbackLines);
  const themeVersion = useThemeVersion();

  useEffect(() => {
    const element = box.current!;
    const colors = readThemeColors(element);
    const term = new Terminal({
      scrollback: store.getState().scrollbackLines,
      disableStdin: true,
      allowProposedApi: true,
      cursorStyle: 'bar',
      cursorInactiveStyle: 'none',
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', Menlo, monospace",
      fontSize: 12,
      theme: terminalTheme(colors),
    });
    const fit = new FitAddon();
    const search = new SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    term.open(element);
    term.textarea?.setAttribute('aria-label', 'Backend log output');
    term.attachCustomKeyEventHandler((event) => handleKey(event, term, () => callbacks.current.onSearchShortcut()));
    const results = search.onDidChangeResults((r) => callbacks.current.onSearchResults?.({ index: r.resultIndex, count: r.resultCount }));
    parts.current = { term, search, colors };
    let frame = 0;
    const refit = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => safeFit(fit));
    };
    safeFit(fit);
    const resize = typeof ResizeObserver === 'function' ? new ResizeObserver(refit) : null;
    resize?.observe(element);
    store.getState().attachSink({
      write: (text, done) => term.write(text, done),
      clear: () => term.clear(),
      scrollToBottom: () => term.scrollToBottom(),
    });
    return () => {
      store.getState().attachSink(null);
      resize?.disconnect();
      cancelAnimationFrame(frame);
      results.dispose();
      parts.current = null;
      term.dispose();
    };
  }, [store]);

  useEffect(() => {
    const current = parts.current;
    if (!current || themeVersion === 0) return;
    current.colors = readThemeColors(box.current!);
    current.term.options.theme = terminalTheme(current.colors);
  }, [themeVersion]);

  useEffect(() => {
    if (parts.current) parts.current.term.options.scrollback = scrollbackLines;
  }, [scrollbackLines]);

  useImperativeHandle(
    ref,
    () => ({
      findNext: (query, incremental = false) => parts.current?.search.findNext(query, searchOptions(parts.current.colors, incremental)) ?? false,
      findPrevious: (query) => parts.current?.search.findPrevious(query, searchOptions(parts.current.colors, false)) ?? false,
      clearSearch: () => parts.current?.search.clearDecorations(),
      focus: () => parts.current?.term.focus(),
      copyText: () => {
        const term = parts.current?.term;
        if (!term) return '';
        return term.hasSelection() ? term.getSelection() : readTerminalText(term.buffer.active);
      },
    }),
    [],
  );

  return <div ref={box} className="log-terminal" data-testid="log-terminal" />;
}

/** Ctrl/Cmd+F goes to the search box; Ctrl/Cmd+C (or Ctrl+Shift+C) copies the selection. False = xterm ignores the key. */
function handleKey(event: KeyboardEvent, term: Terminal, openSearch: () => void): boolean {
  const mod = event.ctrlKey || event.metaKey;
  if (!mod) return true;
  const key = event.key.toLowerCase();
  if (key === 'f') {
    if (event.type === 'keydown') openSearch();
    event.preventDefault();
    return false;
  }
  if (key === 'c' && term.hasSelection()) {
    if (event.type === 'keydown') void navigator.clipboard?.writeText(term.getSelection()).catch(() => undefined);
    return false;
  }
  return true;
}

function safeFit(fit: FitAddon): void {
  try {
    fit.fit();
  } catch {
    // Not laid out yet (hidden tab, zero size): the next resize fits it.
  }
}

/** The ANSI colours the log formatting uses, mapped to the theme so both light and dark stay readable. */
function terminalTheme(c: ThemeColors): ITheme {
  return {
    background: c.bgSunken,
    foreground: c.text,
    cursor: c.bgSunken,
    cursorAccent: c.bgSunken,
    selectionBackground: withAlpha(c.accent, 0.35),
    red: c.bad,
    brightRed: c.bad,
    yellow: c.warn,
    brightYellow: c.warn,
    green: c.ok,
    brightGreen: c.ok,
    blue: c.accent,
    brightBlue: c.accent,
    cyan: c.info,
    brightCyan: c.info,
    white: c.text,
    brightWhite: c.text,
    black: c.textDim,
    brightBlack: c.textDim,
  };
}

/** Matches get a tint of the warning colour over the background, so the text on them stays readable. */
function searchOptions(colors: ThemeColors, incremental: boolean): ISearchOptions {
  const match = toHex6(mixColors(colors.warn, colors.bgSunken, 0.35), '#5c4a1e');
  const active = toHex6(mixColors(colors.accent, colors.bgSunken, 0.5), '#35568c');
  return {
    incremental,
    decorations: {
      matchBackground: match,
      matchOverviewRuler: toHex6(colors.warn, '#d29922'),
      activeMatchBackground: active,
      activeMatchBorder: toHex6(colors.accent, '#5b9cff'),
      activeMatchColorOverviewRuler: toHex6(colors.accent, '#5b9cff'),
    },
  };
}
