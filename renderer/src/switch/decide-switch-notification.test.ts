import { describe, expect, it } from 'vitest';
import { sampleSlot } from '../engine/sample-engine-state.js';
import { decideSwitchNotification, type NotifyContext } from './decide-switch-notification.js';
import { KAT_OOM, LOAD_AT, MISTRAL_READY, WARM_QWEN_AWAKE, katFailureViews, mistralSwitchViews, warmQwenViews } from './switch-fixtures.js';
import { trackSlot, type SwitchTrack } from './switch-track.js';

function endOf(views: { atMs: number; slot: Parameters<typeof trackSlot>[1] }[]): SwitchTrack {
  let track: SwitchTrack | null = trackSlot(null, sampleSlot(), 0).track;
  let ended: SwitchTrack | null = null;
  for (const v of views) {
    const r = trackSlot(track, v.slot, v.atMs);
    track = r.track;
    ended = r.ended ?? ended;
  }
  return ended!;
}

const ready = endOf([...mistralSwitchViews(), { atMs: LOAD_AT + 242_000, slot: MISTRAL_READY }]);
const failed = endOf(katFailureViews());
const cancelled = endOf([...mistralSwitchViews().slice(3, 6), { atMs: LOAD_AT + 30_000, slot: sampleSlot({ status: 'stopping', modelId: 'mistral-large-2411-awq' }) }]);
const browserAway: NotifyContext = { permission: 'granted', watching: false, screen: 'switch', hostNotifies: false };
const electronAway: NotifyContext = { ...browserAway, hostNotifies: true };

describe('decideSwitchNotification', () => {
  type Row = { name: string; ended: SwitchTrack; context: NotifyContext; channel: 'desktop' | 'toast' | null; title?: RegExp };
  const table: Row[] = [
    { name: 'browser, not watching: ready → desktop', ended: ready, context: browserAway, channel: 'desktop', title: /mistral-large-2411-awq is ready/ },
    { name: 'browser, not watching: failed → desktop', ended: failed, context: browserAway, channel: 'desktop', title: /kat-dev-awq-8bit failed to load/ },
    { name: 'browser, not watching, permission denied → toast', ended: ready, context: { ...browserAway, permission: 'denied' }, channel: 'toast' },
    { name: 'browser, not watching, permission not asked → toast', ended: failed, context: { ...browserAway, permission: 'default' }, channel: 'toast' },
    { name: 'browser, no Notification API → toast', ended: ready, context: { ...browserAway, permission: 'unsupported' }, channel: 'toast' },
    { name: 'Electron, not watching → nothing (main notifies natively)', ended: ready, context: electronAway, channel: null },
    { name: 'Electron, failed, not watching → nothing (main notifies natively)', ended: failed, context: electronAway, channel: null },
    { name: 'watching another screen → toast', ended: ready, context: { ...electronAway, watching: true, screen: 'models' }, channel: 'toast' },
    { name: 'watching another screen in a browser → toast, not desktop', ended: failed, context: { ...browserAway, watching: true, screen: 'gpus' }, channel: 'toast' },
    { name: 'watching the Switch screen → nothing', ended: ready, context: { ...browserAway, watching: true }, channel: null },
    { name: 'failed while watching the Switch screen → nothing', ended: failed, context: { ...electronAway, watching: true }, channel: null },
    { name: 'cancelled → nothing', ended: cancelled, context: browserAway, channel: null },
    { name: 'cancelled while watching elsewhere → nothing', ended: cancelled, context: { ...browserAway, watching: true, screen: 'models' }, channel: null },
  ];
  for (const row of table) {
    it(row.name, () => {
      const decision = decideSwitchNotification(row.ended, row.context);
      expect(decision?.channel ?? null).toBe(row.channel);
      if (row.title) expect(decision?.title).toMatch(row.title);
    });
  }

  it('says how long a ready switch took and what to fix for a failed one', () => {
    expect(decideSwitchNotification(ready, browserAway)).toEqual({
      channel: 'desktop',
      title: 'mistral-large-2411-awq is ready',
      body: 'Switched in 4m05s.',
      failed: false,
      tag: 'switchboard-slot-main',
    });
    expect(decideSwitchNotification(failed, browserAway)).toMatchObject({ failed: true, body: `${KAT_OOM.message} — ${KAT_OOM.hint}` });
  });

  it('announces a finished wake as ready, like a load, with how long waking took', () => {
    const woken = endOf([...warmQwenViews(), { atMs: LOAD_AT + 64_500, slot: WARM_QWEN_AWAKE }]);
    expect(decideSwitchNotification(woken, browserAway)).toEqual({
      channel: 'desktop',
      title: 'qwen2.5-7b-instruct is ready',
      body: 'Woken in 0m04s.',
      failed: false,
      tag: 'switchboard-slot-gpu0.qwen2.5-7b-instruct',
    });
    expect(decideSwitchNotification(woken, { ...browserAway, watching: true, screen: 'models' })?.channel).toBe('toast');
    expect(decideSwitchNotification(woken, electronAway)).toBeNull();
  });
});

describe('startSwitchNotifier', () => {
  it('announces each ended switch once, through the desktop it was given', async () => {
    const { createStore } = await import('zustand/vanilla');
    const { startSwitchNotifier } = await import('./switch-notifier.js');
    const store = createStore(() => ({ lastEnded: null as { seq: number; track: SwitchTrack } | null }));
    const shown: string[] = [];
    const stop = startSwitchNotifier(store as never, { context: () => browserAway, show: (n) => shown.push(n.title) });
    store.setState({ lastEnded: { seq: 1, track: ready } });
    store.setState({ lastEnded: { seq: 1, track: ready } });
    store.setState({ lastEnded: { seq: 2, track: failed } });
    stop();
    store.setState({ lastEnded: { seq: 3, track: ready } });
    expect(shown).toEqual(['mistral-large-2411-awq is ready', 'kat-dev-awq-8bit failed to load']);
  });
});
