import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import { apiHub } from '../api/api-hub.js';
import { LogTerminal, type LogTerminalHandle } from './log-terminal.js';
import { createLogsStore, SCROLLBACK_CHOICES, type LogsStore } from './logs-store.js';
import './logs.css';

/** The backend's log lines in a terminal: follow or pause, search, copy, clear. Ctrl+F searches, Esc goes back. */
export function LogsScreen({ store: given }: { store?: LogsStore } = {}) {
  const [store] = useState(() => given ?? createLogsStore(apiHub()));
  const terminal = useRef<LogTerminalHandle>(null);
  const searchBox = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<{ index: number; count: number } | null>(null);
  const [notice, setNotice] = useState('');

  useEffect(() => store.getState().start(), [store]);

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'f') {
        event.preventDefault();
        focusSearch();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  function focusSearch() {
    searchBox.current?.focus();
    searchBox.current?.select();
  }

  function onSearchKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'Enter') {
      event.preventDefault();
      if (event.shiftKey) terminal.current?.findPrevious(query);
      else terminal.current?.findNext(query);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      terminal.current?.clearSearch();
      setResults(null);
      terminal.current?.focus();
    }
  }

  function onQuery(value: string) {
    setQuery(value);
    if (value) terminal.current?.findNext(value, true);
    else {
      terminal.current?.clearSearch();
      setResults(null);
    }
  }

  async function copy() {
    const text = terminal.current?.copyText() ?? '';
    try {
      await navigator.clipboard.writeText(text);
      setNotice(`Copied ${text ? text.split('\n').length.toLocaleString('en-US') : 0} lines.`);
    } catch (err) {
      setNotice(`Could not copy: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return (
    <section className="logs-screen" aria-label="Logs">
      <LogsToolbar store={store} onCopy={copy} />
      <div className="logs-search" role="search">
        <input
          ref={searchBox}
          type="search"
          value={query}
          placeholder="Search (Ctrl+F)"
          aria-label="Search the log"
          data-testid="log-search"
          onChange={(e) => onQuery(e.target.value)}
          onKeyDown={onSearchKey}
        />
        <button type="button" aria-label="Previous match" title="Previous match (Shift+Enter)" disabled={!query} onClick={() => terminal.current?.findPrevious(query)}>
          ↑
        </button>
        <button type="button" aria-label="Next match" title="Next match (Enter)" disabled={!query} onClick={() => terminal.current?.findNext(query)}>
          ↓
        </button>
        <span className="logs-matches" aria-live="polite">
          {query && results ? (results.count === 0 ? 'No matches' : `${results.index >= 0 ? results.index + 1 : '?'} / ${results.count}`) : ''}
        </span>
        <span className="logs-notice" role="status">
          {notice}
        </span>
      </div>
      <LogTerminal ref={terminal} store={store} onSearchShortcut={focusSearch} onSearchResults={setResults} />
      <LogsStatus store={store} />
    </section>
  );
}

function LogsToolbar({ store, onCopy }: { store: LogsStore; onCopy(): void }) {
  const following = useStore(store, (s) => s.following);
  const newLines = useStore(store, (s) => s.newLines);
  const scrollbackLines = useStore(store, (s) => s.scrollbackLines);
  const { setFollowing, clear, setScrollbackLines } = store.getState();
  return (
    <div className="logs-toolbar" role="toolbar" aria-label="Log controls">
      <button
        type="button"
        className={following ? undefined : 'logs-primary'}
        data-testid="log-follow"
        title={following ? 'Stop scrolling; new lines wait until you follow again' : 'Show the waiting lines and follow the end'}
        onClick={() => setFollowing(!following)}
      >
        {following ? 'Pause' : 'Follow'}
      </button>
      {!following && newLines > 0 && (
        <button type="button" className="logs-new-lines" data-testid="log-new-lines" onClick={() => setFollowing(true)}>
          {newLines.toLocaleString('en-US')} new line{newLines === 1 ? '' : 's'} ↓
        </button>
      )}
      <button type="button" data-testid="log-copy" onClick={onCopy} title="Copies the selection, or every line when nothing is selected">
        Copy
      </button>
      <button type="button" data-testid="log-clear" onClick={clear}>
        Clear
      </button>
      <label className="logs-scrollback">
        Scrollback
        <select value={scrollbackLines} aria-label="Scrollback lines" onChange={(e) => setScrollbackLines(Number(e.target.value))}>
          {SCROLLBACK_CHOICES.map((n) => (
            <option key={n} value={n}>
              {n.toLocaleString('en-US')} lines
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function LogsStatus({ store }: { store: LogsStore }) {
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const shown = useStore(store, (s) => s.shownLines);
  const dropped = useStore(store, (s) => s.droppedLines);
  const following = useStore(store, (s) => s.following);
  return (
    <div className="logs-status">
      {error ? (
        <span role="alert" className="logs-error">
          {error}
        </span>
      ) : (
        <span>{status === 'loading' ? 'Loading the log tail…' : following ? 'Following' : 'Paused'}</span>
      )}
      <span data-testid="log-line-count">{shown.toLocaleString('en-US')} lines</span>
      {dropped > 0 && (
        <span className="logs-dropped" data-testid="log-dropped">
          {dropped.toLocaleString('en-US')} dropped (too fast to show)
        </span>
      )}
      <span className="logs-legend" aria-label="Legend: ┃ marks stderr, » marks the engine's own lines">
        ┃ stderr · » engine
      </span>
    </div>
  );
}
