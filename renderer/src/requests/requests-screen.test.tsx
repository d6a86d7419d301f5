// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestLogFilter, RequestRecord } from '../../../shared/request-log.js';
import { ApiHub } from '../api/api-hub.js';
import { useEngineStore } from '../engine/engine-store.js';
import { sampleEngineState } from '../engine/sample-engine-state.js';
import { createFakeTransport, type FakeTransport } from '../testing/fake-transport.js';
import { formatMs, RequestsScreen } from './requests-screen.js';

const NOW = Date.now();
const RECORDS: RequestRecord[] = [
  {
    atMs: NOW - 1000,
    client: '127.0.0.1',
    route: '/v1/chat/completions',
    model: null,
    stream: false,
    status: 404,
    error: 'model_not_found',
    waitedMs: null,
    ttftMs: null,
    durationMs: 2,
    promptTokens: null,
    completionTokens: null,
  },
  {
    atMs: NOW - 2000,
    client: '10.0.0.7',
    route: '/v1/chat/completions',
    model: 'chat',
    stream: true,
    status: 200,
    error: null,
    waitedMs: 0,
    ttftMs: 200,
    durationMs: 1200,
    promptTokens: 30,
    completionTokens: 50,
  },
  {
    atMs: NOW - 3000,
    client: '10.0.0.7',
    route: '/v1/completions',
    model: 'chat',
    stream: false,
    status: 200,
    error: null,
    waitedMs: 42_000,
    ttftMs: 43_000,
    durationMs: 43_000,
    promptTokens: 5,
    completionTokens: 0,
  },
];

let transport: FakeTransport;
const disposers: (() => void)[] = [];
afterEach(() => {
  cleanup();
  for (const d of disposers.splice(0)) d();
});

function setup(): void {
  transport = createFakeTransport({
    'state.get': async () => sampleEngineState(),
    'requests.list': async (filter: RequestLogFilter) => RECORDS.filter((r) => (filter.status === '4xx' ? r.status >= 400 && r.status < 500 : true)),
  });
  const hub = new ApiHub(transport);
  disposers.push(useEngineStore.getState().init(hub));
  render(<RequestsScreen hub={hub} />);
}

const lastFilter = () => transport.calls.filter((c) => c.method === 'requests.list').at(-1)?.params as RequestLogFilter;

describe('RequestsScreen', () => {
  it('shows each request with status and cause, waited, TTFT, duration, tokens and decode tok/s', async () => {
    setup();
    const rows = await screen.findAllByTestId('request-row');
    expect(rows).toHaveLength(3);
    const cells = rows.map((row) =>
      within(row)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    );
    expect(cells[0]!.slice(1)).toEqual(['127.0.0.1', '—', '/v1/chat/completions', 'no', '404 model_not_found', '—', '—', '2 ms', '—', '—']);
    // 50 tokens over 1.2 s − 0.2 s of decoding.
    expect(cells[1]!.slice(1)).toEqual(['10.0.0.7', 'chat', '/v1/chat/completions', 'yes', '200', '0 ms', '200 ms', '1200 ms', '30 / 50', '50.0']);
    expect(cells[2]!.slice(6)).toEqual(['42.0 s', '43.0 s', '43.0 s', '5 / 0', '—']);
    expect(lastFilter()).toMatchObject({ limit: 500 });
    expect(lastFilter().sinceMs).toBeGreaterThan(NOW - 3_600_000 - 60_000);
  });

  it('asks again with the filters chosen', async () => {
    setup();
    await screen.findAllByTestId('request-row');
    fireEvent.change(screen.getByTestId('requests-status'), { target: { value: '4xx' } });
    await waitFor(() => expect(screen.getAllByTestId('request-row')).toHaveLength(1));
    expect(lastFilter()).toMatchObject({ status: '4xx' });
    fireEvent.change(screen.getByTestId('requests-since'), { target: { value: '3' } });
    fireEvent.change(screen.getByTestId('requests-client'), { target: { value: ' 10.0.0.7 ' } });
    await waitFor(() => expect(lastFilter()).toEqual({ limit: 500, status: '4xx', client: '10.0.0.7' }));
    const model = sampleEngineState().models[0]!.id;
    fireEvent.change(screen.getByTestId('requests-model'), { target: { value: model } });
    await waitFor(() => expect(lastFilter()).toMatchObject({ model }));
  });

  it('says when the log cannot be read', async () => {
    transport = createFakeTransport({ 'state.get': async () => sampleEngineState() });
    const hub = new ApiHub(transport);
    disposers.push(useEngineStore.getState().init(hub));
    render(<RequestsScreen hub={hub} />);
    expect(await screen.findByText(/Request log unavailable: fake transport: no handler for requests.list/)).toBeTruthy();
  });
});

describe('formatMs', () => {
  it('writes ms below 10 s, seconds above', () => {
    expect(formatMs(null)).toBe('—');
    expect(formatMs(849.6)).toBe('850 ms');
    expect(formatMs(12_345)).toBe('12.3 s');
  });
});
