import { createStore, type StoreApi } from 'zustand/vanilla';
import type { GpuOverview, GpuSample, GpuStaleness } from '../../../shared/gpu-types.js';
import type { ApiHub } from '../api/api-hub.js';
import { TimeSeriesRing, type SeriesData } from '../charts/time-series-ring.js';
import type { CardError } from './card-error.js';
import { HISTORY_SERIES, historyPoint } from './gpu-history.js';
import { createPowerActions, type PowerActions } from './power-actions.js';
import { pendingFrom, type PowerChange, type PresetChange } from './power-change.js';

export interface GpusStoreOptions {
  /** Wall clock, ms (tests pass a fake one). */
  now?: () => number;
  /** How far back the first `gpu.history` call reaches (default 15 min). */
  historyWindowMs?: number;
  /** Points kept per GPU chart (default 900: 15 min at one sample a second). */
  historyPoints?: number;
  /** Passed to setPowerLimit/applyPreset; undefined = the engine's default (20 s). */
  revertAfterS?: number;
  /** How often the countdown re-renders while a change is pending (default 250 ms). */
  tickMs?: number;
  /**
   * While the readings are stale (nvidia-smi hangs: no gpu.sample comes), the overview is read again this
   * often (default 5 s) so the reason's age follows.
   */
  staleCheckMs?: number;
}

/** The overview's fields as last read (samples then follow gpu.sample events). */
export interface GpusData extends Pick<GpuOverview, 'samples' | 'host' | 'topology' | 'nvlink' | 'nvlinkSets' | 'presetsW'> {
  status: 'idle' | 'loading' | 'ready' | 'unavailable' | 'error';
  /** Why GPUs are unavailable, or what failed. */
  reason: string | null;
  /** Set while nvidia-smi does not answer: the readings shown are its last ones (the reason says for how long). */
  stale: GpuStaleness | null;
  /** Chart data per GPU UUID (see HISTORY_SERIES). */
  history: Record<string, SeriesData>;
  /** Slider values not applied yet, per GPU UUID. */
  drafts: Record<string, number>;
  changes: Record<string, PowerChange>;
  errors: Record<string, CardError>;
  preset: PresetChange;
  /** The countdown's clock (updated while something is pending). */
  nowMs: number;
}

export interface GpusState extends GpusData, PowerActions {
  /** Reads the overview and history and follows `gpu.sample`; returns the stop function. */
  start(): () => void;
  /** Reads the overview again (after a revert, or on demand with the topology re-read). */
  refresh(options?: { refreshTopology?: boolean }): Promise<void>;
}

export type GpusStore = StoreApi<GpusState>;

/** The GPUs screen's store: telemetry, bounded history rings, topology, and power limits with confirm-or-revert. */
export function createGpusStore(hub: ApiHub, options: GpusStoreOptions = {}): GpusStore {
  const now = options.now ?? Date.now;
  const historyWindowMs = options.historyWindowMs ?? 15 * 60_000;
  const historyPoints = options.historyPoints ?? 900;
  const rings = new Map<string, TimeSeriesRing>();

  function ringOf(uuid: string): TimeSeriesRing {
    let ring = rings.get(uuid);
    if (!ring) rings.set(uuid, (ring = new TimeSeriesRing(historyPoints, HISTORY_SERIES.length)));
    return ring;
  }

  return createStore<GpusState>()((set, get) => {
    /** Adds samples to the rings and republishes the chart data of the GPUs that changed. */
    function record(samples: readonly GpuSample[]): void {
      const changed: Record<string, SeriesData> = {};
      for (const sample of samples) if (ringOf(sample.uuid).push(sample.atMs, historyPoint(sample))) changed[sample.uuid] = ringOf(sample.uuid).toSeriesData();
      if (Object.keys(changed).length > 0) set({ history: { ...get().history, ...changed } });
    }

    function applyOverview(overview: GpuOverview): void {
      const changes = { ...get().changes };
      for (const pending of overview.pendingPowerLimits) {
        // One this screen saw end (or one already past its time) is not pending, whatever a late read says.
        if (power.isSettled(pending.changeId) || Date.parse(pending.revertAt) <= now()) continue;
        const known = changes[pending.gpu];
        if (known?.kind !== 'pending' || known.change.changeId !== pending.changeId) changes[pending.gpu] = pendingFrom(pending);
      }
      set({
        status: overview.available ? 'ready' : 'unavailable',
        reason: overview.available ? null : (overview.reason ?? 'GPU telemetry is unavailable.'),
        stale: overview.available ? (overview.stale ?? null) : null,
        samples: [...overview.samples].sort((a, b) => a.index - b.index),
        host: overview.host,
        topology: overview.topology,
        nvlink: overview.nvlink,
        nvlinkSets: overview.nvlinkSets,
        presetsW: overview.presetsW,
        changes,
      });
      record(overview.samples);
      power.ensureTicking();
    }

    async function refresh(params: { refreshTopology?: boolean } = {}): Promise<void> {
      try {
        applyOverview(await hub.call('gpu.overview', params));
      } catch (err) {
        set({ status: get().status === 'ready' ? 'ready' : 'error', reason: `Could not read the GPUs: ${err instanceof Error ? err.message : String(err)}` });
      }
    }

    async function loadHistory(samples: readonly GpuSample[]): Promise<void> {
      const sinceMs = now() - historyWindowMs;
      const histories = await Promise.all(samples.map((s) => hub.call('gpu.history', { gpu: s.uuid, sinceMs }).catch(() => [] as GpuSample[])));
      // History is older than what live events may have added meanwhile: rebuild each ring in time order.
      const updates: Record<string, SeriesData> = {};
      samples.forEach((sample, i) => {
        const ring = ringOf(sample.uuid);
        const live = ring.toSeriesData();
        ring.clear();
        for (const h of histories[i] ?? []) ring.push(h.atMs, historyPoint(h));
        const [xs, ...ys] = live;
        xs.forEach((xS, p) =>
          ring.push(
            xS * 1000,
            ys.map((series) => series[p] ?? null),
          ),
        );
        updates[sample.uuid] = ring.toSeriesData();
      });
      set({ history: { ...get().history, ...updates } });
    }

    const power = createPowerActions({ hub, set, get, now, refresh, revertAfterS: options.revertAfterS, tickMs: options.tickMs ?? 250 });

    return {
      status: 'idle',
      reason: null,
      stale: null,
      samples: [],
      host: null,
      topology: null,
      nvlink: null,
      nvlinkSets: [],
      presetsW: [],
      history: {},
      drafts: {},
      changes: {},
      errors: {},
      preset: { kind: 'idle' },
      nowMs: now(),
      ...power.actions,
      refresh,

      start() {
        let stopped = false;
        const off = hub.on('gpu.sample', ({ samples, host }) => {
          if (stopped) return;
          const byUuid = new Map(get().samples.map((s) => [s.uuid, s]));
          for (const sample of samples) byUuid.set(sample.uuid, sample);
          // Samples are coming: whatever made them stale is over.
          set({ samples: [...byUuid.values()].sort((a, b) => a.index - b.index), host: host ?? get().host, stale: null });
          record(samples);
        });
        // The engine's state says when the readings turn stale or fresh (no sample comes to say it).
        const offState = hub.on('state', ({ state }) => {
          if (stopped || get().status !== 'ready') return;
          const stale = state.gpu?.available ? (state.gpu.stale ?? null) : null;
          if (Boolean(stale) !== Boolean(get().stale)) set({ stale });
        });
        // While stale, the overview is read again: the reason's age follows, and it ends when nvidia-smi answers.
        const staleWatch = setInterval(() => {
          if (!stopped && get().status === 'ready' && get().stale) void refresh();
        }, options.staleCheckMs ?? 5_000);
        set({ status: 'loading' });
        void refresh().then(() => {
          if (!stopped && get().status === 'ready') void loadHistory(get().samples);
        });
        return () => {
          stopped = true;
          clearInterval(staleWatch);
          offState();
          off();
          power.stopTicking();
        };
      },
    };
  });
}
