// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LogLine } from '../../../shared/engine-state.js';
import { ApiHub } from '../api/api-hub.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { createLogsStore } from './logs-store.js';
import { LogsScreen } from './logs-screen.js';

// xterm needs a canvas and matchMedia; jsdom has neither. Only the constructors are replaced.
const fakes = vi.hoisted(() => {
  const terminals: FakeTerminal[] = [];
  const searches: { method: string; query: string }[] = [];
  class FakeTerminal {
    written = '';
    options: Record<string, unknown>;
    focused = 0;
    keyHandler: ((e: KeyboardEvent) => boolean) | null = null;
    textarea = document.createElement('textarea');
    buffer = { active: { length: 0, getLine: () => undefined } };
    constructor(options: Record<string, unknown>) {
      this.options = { ...options };
      terminals.push(this);
    }
    loadAddon() {}
    open(element: HTMLElement) {
      element.appendChild(this.textarea);
    }
    attachCustomKeyEventHandler(handler: (e: KeyboardEvent) => boolean) {
      this.keyHandler = handler;
    }
    write(text: string, done?: () => void) {
      this.written += text;
      done?.();
    }
    clear() {
      this.written = '';
    }
    scrollToBottom() {}
    focus() {
      this.focused++;
    }
    hasSelection() {
      return false;
    }
    getSelection() {
      return '';
    }
    dispose() {}
  }
  class FakeSearchAddon {
    findNext(query: string) {
      searches.push({ method: 'next', query });
      return true;
    }
    findPrevious(query: string) {
      searches.push({ method: 'previous', query });
      return true;
    }
    clearDecorations() {
      searches.push({ method: 'clear', query: '' });
    }
    onDidChangeResults() {
      return { dispose() {} };
    }
  }
  return { terminals, searches, FakeTerminal, FakeSearchAddon };
});
vi.mock('@xterm/xterm', () => ({ Terminal: fakes.FakeTerminal }));
vi.mock('@xterm/addon-fit', () => ({
  FitAddon: class {
    fit() {}
  },
}));
vi.mock('@xterm/addon-search', () => ({ SearchAddon: fakes.FakeSearchAddon }));
const { terminals, searches } = fakes;

const line = (seq: number, text: string, stream: LogLine['stream'] = 'stderr'): LogLine => ({ seq, atMs: seq, stream, text, modelId: 'qwen' });

/** The terminal the screen created; failing the test when it created none. */
function firstTerminal() {
  const term = terminals[0];
  if (!term) throw new Error('the screen created no terminal');
  return term;
}

describe('LogsScreen', () => {
  let transport: FakeTransport;
  let runFrames: () => void;

  beforeEach(() => {
    terminals.length = 0;
    searches.length = 0;
    const queue: (() => void)[] = [];
    runFrames = () => act(() => queue.splice(0).forEach((f) => f()));
    transport = createFakeTransport({
      'logs.tail': async () => [line(1, '[2025-10-14 11:20:18 TP0] Load weight begin. avail mem=78.05 GB'), line(2, 'torch.OutOfMemoryError: CUDA out of memory.')],
    });
    const store = createLogsStore(new ApiHub(transport), {
      storage: null,
      scheduleFrame: (f) => {
        queue.push(f);
        return () => undefined;
      },
    });
    render(<LogsScreen store={store} />);
  });
  afterEach(cleanup);

  it('shows the tail and live lines in the terminal, phases and errors coloured', async () => {
    await act(async () => undefined);
    act(() => transport.emit({ type: 'log', line: line(3, 'The server is fired up and ready to roll!', 'stdout') }));
    runFrames();
    const term = firstTerminal();
    expect(screen.getByTestId('log-terminal')).toBeTruthy();
    expect(term.written).toContain('\x1b[1;36m[2025-10-14 11:20:18 TP0] Load weight begin.');
    expect(term.written).toContain('\x1b[31mtorch.OutOfMemoryError');
    expect(term.written).toContain('\x1b[1;32mThe server is fired up');
    expect(term.options.scrollback).toBe(10_000);
    expect(screen.getByTestId('log-line-count').textContent).toBe('3 lines');
  });

  it('pause keeps lines back and shows how many are new; the indicator resumes', async () => {
    await act(async () => undefined);
    runFrames();
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(screen.getByTestId('log-follow').textContent).toBe('Follow');
    expect(screen.getByText('Paused')).toBeTruthy();
    act(() => transport.emit(...[4, 5, 6].map((seq) => ({ type: 'log' as const, line: line(seq, `line ${seq}`) }))));
    runFrames();
    expect(firstTerminal().written).not.toContain('line 4');
    fireEvent.click(screen.getByTestId('log-new-lines'));
    expect(screen.queryByTestId('log-new-lines')).toBeNull();
    runFrames();
    expect(firstTerminal().written).toContain('line 6');
  });

  it('Ctrl+F focuses the search box (also from inside the terminal), Enter/Shift+Enter search, Esc returns to the terminal', async () => {
    const box = screen.getByLabelText('Search the log');
    fireEvent.keyDown(document.body, { key: 'f', ctrlKey: true });
    expect(document.activeElement).toBe(box);
    box.blur();
    const handled = firstTerminal().keyHandler!(new KeyboardEvent('keydown', { key: 'f', ctrlKey: true }));
    expect(handled).toBe(false);
    expect(document.activeElement).toBe(box);
    fireEvent.change(box, { target: { value: 'OutOfMemory' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(searches).toEqual([
      { method: 'next', query: 'OutOfMemory' },
      { method: 'next', query: 'OutOfMemory' },
      { method: 'previous', query: 'OutOfMemory' },
    ]);
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(firstTerminal().focused).toBe(1);
  });

  it('Clear empties the terminal; the scrollback setting reaches the terminal', async () => {
    await act(async () => undefined);
    runFrames();
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    expect(firstTerminal().written).toBe('');
    expect(screen.getByTestId('log-line-count').textContent).toBe('0 lines');
    fireEvent.change(screen.getByLabelText('Scrollback lines'), { target: { value: '50000' } });
    expect(firstTerminal().options.scrollback).toBe(50_000);
  });
});
