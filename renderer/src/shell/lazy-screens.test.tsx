// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiHub, setApiHub } from '../api/api-hub.js';
import { useBrowserAccess } from '../api/browser-access-store.js';
import { App } from '../app.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { createFakeTransport } from '../testing/fake-transport.js';

// The screens are chunks of their own, fetched on first use; until one arrives its place says so.
// (Nothing is fetched ahead here, unlike the other shell tests.)

afterEach(cleanup);

describe('lazily loaded screens', () => {
  it("shows an accessible placeholder while the first screen's code loads, then the screen", async () => {
    location.hash = '';
    useBrowserAccess.setState({ status: 'not-needed', message: null });
    setApiHub(
      new ApiHub(
        createFakeTransport({
          'state.get': async () => sampleEngineState(),
          'catalog.get': async () => ({ path: '/c.yaml', text: '', revision: 'a'.repeat(64), models: [], issues: [] }),
        }),
      ),
    );
    render(<App />);
    const placeholder = screen.getByRole('status', { busy: true });
    expect(placeholder.textContent).toBe('Loading Models…');
    expect(screen.getByRole('main').getAttribute('aria-label')).toBe('Models');
    // The navigation is there at once: only the screen waits for its code.
    expect(screen.getByRole('link', { name: /Models/ }).getAttribute('aria-current')).toBe('page');
    expect(await screen.findByRole('heading', { name: 'Models', level: 1 }, { timeout: 30_000 })).toBeTruthy();
    expect(screen.queryByTestId('screen-loading')).toBeNull();
  });
});
