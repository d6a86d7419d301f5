import { useStore } from 'zustand';
import type { GpuSample, NvlinkStatus } from '../../../shared/gpu-types.js';
import { formatMetric } from './format-metric.js';
import { GpuHistoryChart } from './gpu-history-chart.js';
import type { GpusStore } from './gpus-store.js';
import { PowerLimitControl } from './power-limit-control.js';

/** One GPU: identity, live readings, power draw against its limit, history chart, power limit, NVLinks. */
export function GpuCard({ store, sample, nvlink, nvlinkPeers }: { store: GpusStore; sample: GpuSample; nvlink: NvlinkStatus | null; nvlinkPeers: number[] }) {
  const history = useStore(store, (s) => s.history[sample.uuid]);
  const { index } = sample;
  const memPct = sample.memUsedMiB !== null && sample.memTotalMiB ? (100 * sample.memUsedMiB) / sample.memTotalMiB : null;
  return (
    <article className="gpu-card" data-testid={`gpu-card-${index}`} aria-labelledby={`gpu-title-${index}`}>
      <header className="gpu-card-head">
        <h3 id={`gpu-title-${index}`}>
          GPU {index}
          <span className="gpu-name">{sample.name ?? 'unknown GPU'}</span>
        </h3>
        <span className="gpu-dim gpu-bus" title={`UUID ${sample.uuid}`}>
          {sample.busId ?? 'bus id unknown'}
          {sample.pstate ? ` · ${sample.pstate}` : ''}
        </span>
        {nvlinkPeers.length > 0 && (
          <span className="gpu-nvlink-badge" title={`NVLink to ${nvlinkPeers.map((p) => `GPU ${p}`).join(', ')}`}>
            NVLink ↔ {nvlinkPeers.join(', ')}
          </span>
        )}
      </header>
      <dl className="gpu-metrics">
        <Metric label="Util" value={formatMetric(sample.utilGpuPct, '%')} testId={`gpu-util-${index}`} />
        <Metric label="Memory" value={`${formatMetric(sample.memUsedMiB, '')} / ${formatMetric(sample.memTotalMiB, 'MiB')}`} hint={memPct === null ? undefined : `${Math.round(memPct)} %`} />
        <Metric label="Temp" value={formatMetric(sample.tempC, '°C')} />
        <Metric label="Fan" value={formatMetric(sample.fanPct, '%')} />
        <Metric label="SM clock" value={formatMetric(sample.smClockMHz, 'MHz')} />
      </dl>
      <PowerBar sample={sample} />
      <GpuHistoryChart index={index} data={history} />
      <PowerLimitControl store={store} sample={sample} />
      <NvlinkLinks index={index} status={nvlink} />
    </article>
  );
}

function Metric({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <div className="gpu-metric">
      <dt>{label}</dt>
      <dd data-testid={testId}>
        {value}
        {hint && <span className="gpu-dim"> ({hint})</span>}
      </dd>
    </div>
  );
}

/** Draw against the limit the card enforces (which can sit below the requested one). */
function PowerBar({ sample }: { sample: GpuSample }) {
  const limitW = sample.enforcedPowerLimitW ?? sample.powerLimitW;
  const drawW = sample.powerDrawW;
  const pct = drawW !== null && limitW ? Math.min(100, (100 * drawW) / limitW) : 0;
  const text = `${formatMetric(drawW, 'W', 1)} of ${formatMetric(limitW, 'W')} limit`;
  const lowered = sample.enforcedPowerLimitW !== null && sample.powerLimitW !== null && sample.enforcedPowerLimitW < sample.powerLimitW;
  return (
    <div className="gpu-power">
      <div className="gpu-power-text">
        <span>Power</span>
        <span data-testid={`gpu-power-${sample.index}`}>{text}</span>
      </div>
      <div
        className={`gpu-power-bar${pct >= 95 ? ' capped' : ''}`}
        role="meter"
        aria-label={`GPU ${sample.index} power draw`}
        aria-valuemin={0}
        aria-valuemax={limitW ?? 0}
        aria-valuenow={drawW ?? 0}
        aria-valuetext={text}
      >
        <div style={{ width: `${pct}%` }} />
      </div>
      {lowered && (
        <div className="gpu-dim">
          Enforced {sample.enforcedPowerLimitW} W (requested {sample.powerLimitW} W)
        </div>
      )}
    </div>
  );
}

function NvlinkLinks({ index, status }: { index: number; status: NvlinkStatus | null }) {
  if (!status) return null;
  return (
    <details className="gpu-nvlink" data-testid={`gpu-nvlink-${index}`}>
      <summary>NVLink: {status.links.length > 0 ? `${status.links.filter((l) => l.active).length} of ${status.links.length} links active` : (status.message ?? status.none ?? 'no links')}</summary>
      {status.links.length > 0 && (
        <ul>
          {status.links.map((link) => (
            <li key={link.link} className={link.active ? 'active' : 'inactive'}>
              Link {link.link}: {link.active ? `${link.speedGBs ?? '?'} GB/s` : 'inactive'}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
