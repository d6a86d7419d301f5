import { describe, expect, it } from 'vitest';
import { catalogSchema } from '../../../shared/catalog-schema.js';
import type { ThroughputSample } from '../../../shared/throughput.js';
import { ThroughputTracker } from './throughput-tracker.js';

describe('ThroughputTracker', () => {
  it('turns decode events into samples per model, ignores other events, and filters by time', () => {
    const emitted: ThroughputSample[] = [];
    let now = 1000;
    const tracker = new ThroughputTracker({ onSample: (s) => emitted.push(s), now: () => now });
    tracker.onLogEvent({ kind: 'decode', runningReqs: 1, tokens: 100, genTokPerS: 42.5, queueReqs: 0 }, 'a');
    tracker.onLogEvent({ kind: 'ready' }, 'a');
    now = 2000;
    tracker.onLogEvent({ kind: 'decode', runningReqs: 2, tokens: 300, genTokPerS: 80, queueReqs: 0 }, 'a');
    tracker.onLogEvent({ kind: 'decode', runningReqs: 1, tokens: 10, genTokPerS: 20, queueReqs: 0 }, 'b');
    expect(emitted).toHaveLength(3);
    expect(tracker.samples('a')).toEqual([
      { modelId: 'a', atMs: 1000, genTokPerS: 42.5, runningReqs: 1, source: 'log' },
      { modelId: 'a', atMs: 2000, genTokPerS: 80, runningReqs: 2, source: 'log' },
    ]);
    expect(tracker.samples('a', 1500).map((s) => s.genTokPerS)).toEqual([80]);
    expect(tracker.samples('unknown')).toEqual([]);
  });

  it('polls /metrics only for a ready model launched with --enable-metrics (stop ends it)', () => {
    const tracker = new ThroughputTracker({ onSample: () => undefined, metricsPollMs: 60_000 });
    const { models } = catalogSchema.parse({
      models: [
        { id: 'plain', modelPath: '/m/plain' },
        { id: 'metered', modelPath: '/m/metered', extraArgs: ['--enable-metrics'] },
      ],
    });
    const [plain, metered] = models;
    const following = () => tracker.polledModelId;
    tracker.follow(plain!, 'http://127.0.0.1:1');
    expect(following()).toBeNull();
    tracker.follow(metered!, 'http://127.0.0.1:1');
    expect(following()).toBe('metered');
    tracker.stop();
    expect(following()).toBeNull();
  });
});
