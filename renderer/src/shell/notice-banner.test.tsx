// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineNotice } from '../../../shared/engine-state.js';
import { useEngineStore } from '../engine/engine-store.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { NoticeBanner } from './notice-banner.js';

afterEach(() => {
  cleanup();
  useEngineStore.setState({ state: null });
});

function showNotices(notices: EngineNotice[]): void {
  act(() => useEngineStore.setState({ state: { ...sampleEngineState(), notices } }));
}

describe('NoticeBanner', () => {
  it('shows nothing without notices', () => {
    render(<NoticeBanner />);
    showNotices([]);
    expect(screen.queryByTestId('notice-banner')).toBeNull();
  });

  it('shows each notice with its level; errors are alerts', () => {
    render(<NoticeBanner />);
    showNotices([
      { id: 'leftover:1', level: 'info', message: 'adopted the leftover server pid 41 (alpha) on port 8001', atMs: 1 },
      { id: 'state-dir:swap-history', level: 'error', message: 'cannot write swap-history.jsonl (ENOSPC)', atMs: 2 },
    ]);
    expect(screen.getByTestId('notice-leftover:1').className).toContain('notice-info');
    expect(screen.getByRole('alert').textContent).toContain('ENOSPC');
  });

  it('hides a dismissed notice until the engine renews it', () => {
    render(<NoticeBanner />);
    const notice: EngineNotice = { id: 'state-dir:catalog', level: 'error', message: 'cannot save the catalog (EROFS)', atMs: 1 };
    showNotices([notice]);
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('notice-state-dir:catalog')).toBeNull();
    showNotices([notice]);
    expect(screen.queryByTestId('notice-state-dir:catalog')).toBeNull();
    showNotices([{ ...notice, atMs: 2 }]);
    expect(screen.getByTestId('notice-state-dir:catalog').textContent).toContain('EROFS');
  });
});
