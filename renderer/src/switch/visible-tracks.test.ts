import { describe, expect, it } from 'vitest';
import { sampleSlot } from '../engine/sample-engine-state.js';
import { trackSlot, type SwitchTrack } from './switch-track.js';
import { visibleTracks } from './visible-tracks.js';

function track(slotId: string, patch: Partial<SwitchTrack> = {}): SwitchTrack {
  return { ...trackSlot(null, sampleSlot({ id: slotId }), 0).track, ...patch };
}

describe('visibleTracks', () => {
  it('shows every slot that is not stopped, and a stopped one with a switch under way, in slot order', () => {
    const tracks = [track('a', { status: 'ready' }), track('b'), track('c', { active: true }), track('d', { status: 'failed' })];
    expect(visibleTracks(tracks).map((t) => t.slotId)).toEqual(['a', 'c', 'd']);
  });

  it('with every slot stopped: the one that changed last, else the first', () => {
    expect(visibleTracks([track('a', { endedAtMs: 5 }), track('b', { endedAtMs: 9 }), track('c', { startedAtMs: 7 })]).map((t) => t.slotId)).toEqual(['b']);
    expect(visibleTracks([track('a'), track('b')]).map((t) => t.slotId)).toEqual(['a']);
    expect(visibleTracks([])).toEqual([]);
  });
});
