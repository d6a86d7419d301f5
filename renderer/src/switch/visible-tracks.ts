import type { SwitchTrack } from './switch-track.js';

/**
 * The tracks the Switch screen shows a panel for: every slot that is not stopped or has a switch
 * under way, in slot order; when all are stopped, the one that changed last (so the last switch's
 * outcome stays in view), or the first when none ever did.
 */
export function visibleTracks(tracks: readonly SwitchTrack[]): SwitchTrack[] {
  const live = tracks.filter((t) => t.active || t.status !== 'stopped');
  if (live.length > 0) return live;
  let latest: SwitchTrack | undefined;
  for (const track of tracks) if (!latest || changedAtMs(track) > changedAtMs(latest)) latest = track;
  return latest ? [latest] : [];
}

function changedAtMs(track: SwitchTrack): number {
  return track.endedAtMs ?? track.startedAtMs ?? -Infinity;
}
