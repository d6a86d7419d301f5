// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlotView } from '../../../shared/engine-state.js';
import { sampleSlot } from '../engine/sample-engine-state.js';
import { FailureCard } from './failure-card.js';
import { phaseSteps } from './phase-steps.js';
import { PhaseTimeline } from './phase-timeline.js';
import { SlotSwitchPanel } from './slot-switch-panel.js';
import { KAT_OOM, WARM_QWEN_AWAKE, katFailureViews, mistralSwitchViews, warmQwenViews } from './switch-fixtures.js';
import { trackSlot, type SwitchTrack } from './switch-track.js';

afterEach(cleanup);

function fold(views: { atMs: number; slot: Parameters<typeof trackSlot>[1] }[]): SwitchTrack {
  let track: SwitchTrack | null = trackSlot(null, sampleSlot(), 0).track;
  for (const v of views) track = trackSlot(track, v.slot, v.atMs).track;
  return track!;
}

describe('PhaseTimeline', () => {
  it('marks done, current (with shard progress), skipped and pending phases', () => {
    const track = fold(mistralSwitchViews().slice(3, 6)); // from a stopped slot: nothing to stop
    render(<PhaseTimeline steps={phaseSteps(track)} />);
    const state = (phase: string) => screen.getByTestId(`phase-${phase}`).getAttribute('data-state');
    expect(state('stopping')).toBe('skipped');
    expect(state('launching')).toBe('done');
    expect(state('initializing')).toBe('done');
    expect(state('weights')).toBe('current');
    expect(state('cuda_graphs')).toBe('pending');
    expect(state('ready')).toBe('pending');
    const weights = screen.getByTestId('phase-weights');
    expect(weights.getAttribute('aria-current')).toBe('step');
    expect(weights.textContent).toContain('Loading weights');
    expect(weights.textContent).toContain('44%');
    expect(weights.textContent).toContain('shard 4/9');
    expect(screen.getAllByRole('listitem').map((li) => li.dataset['testid'])).toEqual([
      'phase-stopping',
      'phase-launching',
      'phase-initializing',
      'phase-weights',
      'phase-kv_cache',
      'phase-cuda_graphs',
      'phase-torch_compile',
      'phase-warmup',
      'phase-ready',
    ]);
  });

  it('shows CUDA-graph batch progress on the current phase', () => {
    render(<PhaseTimeline steps={phaseSteps(fold(mistralSwitchViews().slice(0, 8)))} />);
    expect(screen.getByTestId('phase-stopping').getAttribute('data-state')).toBe('done');
    expect(screen.getByTestId('phase-cuda_graphs').textContent).toContain('bs=160 5/20');
  });
});

describe('FailureCard', () => {
  it('shows the message, cause, fix hint and the failure’s own log lines', () => {
    render(<FailureCard failure={KAT_OOM} modelId="kat-dev-awq-8bit" lines={['fetched line']} />);
    const card = screen.getByTestId('failure-card');
    expect(within(card).getByRole('heading').textContent).toBe('kat-dev-awq-8bit failed: CUDA out of memory while loading weights');
    expect(card.querySelector('.failure-cause')?.textContent).toBe('oom');
    expect(card.querySelector('.failure-hint')?.textContent).toBe('lower memFractionStatic or contextLength');
    const log = within(card).getByLabelText('Last log lines');
    expect(log.textContent).toContain('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 384.00 MiB.');
    expect(log.textContent).not.toContain('fetched line');
    expect(card.textContent).toContain('SIGKILL');
  });

  it('falls back to the fetched log tail when the failure carries no lines', () => {
    render(<FailureCard failure={{ ...KAT_OOM, lastLines: [] }} modelId="kat-dev-awq-8bit" lines={['Received sigquit from a child process.']} />);
    expect(screen.getByLabelText('Last log lines').textContent).toBe('Received sigquit from a child process.');
  });
});

describe('SlotSwitchPanel', () => {
  it('shows the switch, the model it replaces, elapsed, ETA and a progress bar while loading', () => {
    const views = mistralSwitchViews();
    const track = fold(views.slice(0, 6));
    // Elapsed/ETA are computed against the real clock: place the track's times relative to now.
    const now = Date.now();
    const shifted = { ...track, startedAtMs: now - 23_000, etaAtMs: now, etaMs: 150_000 };
    render(<SlotSwitchPanel track={shifted} slot={views[5]!.slot} failureLines={[]} />);
    expect(screen.getByTestId('switch-summary').textContent).toBe('Switching to mistral-large-2411-awq…');
    expect(screen.getByText(/Replacing qwen2.5-7b-instruct/)).toBeTruthy();
    expect(screen.getByTestId('switch-elapsed').textContent).toBe('Elapsed 0m23s');
    expect(screen.getByTestId('switch-eta').textContent).toBe('~2m30s left');
    const bar = screen.getByRole('progressbar', { name: 'Switch progress' });
    expect(Number(bar.getAttribute('aria-valuenow'))).toBe(Math.round((23 / (23 + 150)) * 100));
  });

  it('shows the memory the fit estimate predicted next to what SGLang reported, as the load reports it', () => {
    const views = mistralSwitchViews();
    const track = fold(views.slice(0, 6));
    const slot = views[5]!.slot;
    const predicted = { verdict: 'fits' as const, weightsPerGpuGib: 15.55, weightsSource: 'params' as const, kvTokens: 46_516, summary: 'GPU 0: …' };
    const { rerender } = render(<SlotSwitchPanel track={track} slot={{ ...slot, fit: { predicted, actual: { weightsPerGpuGib: 15.54, kvTokens: null, source: 'log' } } }} failureLines={[]} />);
    const weights = within(screen.getByTestId('switch-fit-weights'));
    expect(weights.getByText('15.55 GiB')).toBeTruthy();
    expect(weights.getByText('15.54 GiB')).toBeTruthy();
    expect(weights.getByText('−0.1 %')).toBeTruthy();
    expect(screen.getByTestId('switch-fit-kv').textContent).toBe('KV cache tokens46,516waiting for the log…');
    rerender(<SlotSwitchPanel track={track} slot={{ ...slot, fit: { predicted, actual: { weightsPerGpuGib: 15.54, kvTokens: 46_611, source: 'log' } } }} failureLines={[]} />);
    expect(screen.getByTestId('switch-fit-kv').textContent).toBe('KV cache tokens46,51646,611+0.2 %');
    // Another model's figures (a slot view that moved on) are not shown under this switch.
    rerender(<SlotSwitchPanel track={track} slot={{ ...slot, modelId: 'other', fit: { predicted, actual: { weightsPerGpuGib: 1, kvTokens: 1, source: 'log' } } }} failureLines={[]} />);
    expect(screen.queryByTestId('switch-fit')).toBeNull();
  });

  it('shows the failure card for a failed slot, and no progress bar', () => {
    const track = fold(katFailureViews());
    render(<SlotSwitchPanel track={track} slot={katFailureViews()[3]!.slot} failureLines={[]} />);
    expect(screen.getByTestId('switch-summary').textContent).toBe('kat-dev-awq-8bit failed to load');
    expect(screen.getByTestId('failure-card')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.getByTestId('phase-weights').getAttribute('data-state')).toBe('failed');
  });

  it('a warm model: putting it to sleep, asleep (no timeline, no memory figures), waking, woken', () => {
    const views = warmQwenViews();
    const predicted = { verdict: 'fits' as const, weightsPerGpuGib: 15.55, weightsSource: 'params' as const, kvTokens: 46_516, summary: 'GPU 0: …' };
    const fit = { predicted, actual: { weightsPerGpuGib: 15.54, kvTokens: 46_611, source: 'log' as const } };
    const panel = (count: number, extra: SlotView[] = []) => {
      const all = [...views.slice(0, count), ...extra.map((slot, i) => ({ atMs: views[3]!.atMs + 4_500 + i, slot }))];
      const slot = all.at(-1)!.slot;
      return <SlotSwitchPanel track={fold(all)} slot={{ ...slot, fit }} failureLines={[]} />;
    };
    const { rerender } = render(panel(2));
    expect(screen.getByTestId('switch-summary').textContent).toBe('Putting qwen2.5-7b-instruct to sleep…');
    expect(screen.queryByTestId('switch-fit')).toBeNull();

    rerender(panel(3));
    expect(screen.getByTestId('switch-summary').textContent).toBe('qwen2.5-7b-instruct is asleep');
    expect(screen.getByTestId('switch-asleep').textContent).toMatch(/GPU memory released/);
    expect(screen.queryByTestId('switch-elapsed')).toBeNull();
    expect(screen.queryByTestId('phase-weights')).toBeNull();
    expect(screen.queryByTestId('switch-fit')).toBeNull();

    rerender(panel(4));
    expect(screen.getByTestId('switch-summary').textContent).toBe('Waking qwen2.5-7b-instruct…');
    expect(screen.getByRole('progressbar', { name: 'Switch progress' })).toBeTruthy();
    expect(screen.queryByTestId('phase-weights')).toBeNull();
    expect(screen.queryByTestId('switch-asleep')).toBeNull();

    rerender(panel(4, [WARM_QWEN_AWAKE]));
    expect(screen.getByTestId('switch-summary').textContent).toBe('qwen2.5-7b-instruct is ready');
    expect(screen.getByTestId('switch-fit')).toBeTruthy();
    expect(screen.getByTestId('switch-elapsed').textContent).toBe('Took 0m04s');
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.queryByTestId('switch-wake-fallback')).toBeNull();
  });

  it('says when a wake fell back to a cold load', () => {
    const views = warmQwenViews();
    const waking = views[3]!.slot;
    const starting: SlotView = { ...waking, status: 'starting', progress: { phase: 'launching' }, loadStartedAtMs: waking.loadStartedAtMs! + 1 };
    render(<SlotSwitchPanel track={fold([...views, { atMs: views[3]!.atMs + 9_000, slot: starting }])} slot={starting} failureLines={[]} />);
    expect(screen.getByTestId('switch-summary').textContent).toBe('Switching to qwen2.5-7b-instruct…');
    expect(screen.getByTestId('switch-wake-fallback').textContent).toMatch(/loaded cold/);
    expect(screen.getByTestId('phase-launching').getAttribute('data-state')).toBe('current');
  });
});
