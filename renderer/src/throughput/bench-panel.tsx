import { useStore } from 'zustand';
import type { BenchResult } from '../../../shared/throughput.js';
import type { ThroughputStore } from './throughput-store.js';

/** Runs the built-in benchmark for a chosen model; disabled while one runs; shows the outcome. */
export function BenchPanel({ store }: { store: ThroughputStore }) {
  const models = useStore(store, (s) => s.models);
  const benchModel = useStore(store, (s) => s.benchModel);
  const maxTokens = useStore(store, (s) => s.benchMaxTokens);
  const bench = useStore(store, (s) => s.bench);
  const lastResult = useStore(store, (s) => s.lastResult);
  const { setBenchModel, setBenchMaxTokens, runBench } = store.getState();
  const running = bench.kind === 'running';
  return (
    <section className="tp-bench" aria-labelledby="tp-bench-title">
      <h2 id="tp-bench-title">Benchmark</h2>
      <div className="tp-bench-controls">
        <label>
          Model
          <select value={benchModel ?? ''} disabled={running || models.length === 0} aria-label="Model to benchmark" data-testid="bench-model" onChange={(e) => setBenchModel(e.target.value)}>
            {models.length === 0 && <option value="">No models</option>}
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label && m.label !== m.id ? `${m.label} (${m.id})` : m.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tokens
          <input type="number" min={8} max={4096} step={8} value={maxTokens} disabled={running} aria-label="Tokens to generate" onChange={(e) => setBenchMaxTokens(Number(e.target.value))} />
        </label>
        <button type="button" className="primary" data-testid="bench-run" disabled={running || !benchModel} aria-busy={running} onClick={() => void runBench()}>
          {running ? 'Benchmarking…' : 'Benchmark'}
        </button>
      </div>
      <div aria-live="polite" data-testid="bench-result">
        {running && <p className="tp-dim">Running {bench.modelId}: the model loads first if it is not ready, which can take minutes.</p>}
        {bench.kind === 'error' && (
          <p role="alert" className="tp-error">
            Benchmark of {bench.modelId} failed: {bench.message}
          </p>
        )}
        {!running && lastResult && <ResultLine result={lastResult} />}
      </div>
    </section>
  );
}

function ResultLine({ result }: { result: BenchResult }) {
  const limits = result.powerLimitsW.map((w, i) => `GPU ${result.gpus[i]}: ${w ?? '?'} W`).join(', ');
  return (
    <p className="tp-result">
      <strong>{result.modelId}</strong>: {result.tokPerS.toFixed(2)} tok/s · TTFT {Math.round(result.ttftMs)} ms · {result.tokens} tokens
      {result.tokPerW !== null ? ` · ${result.tokPerW.toFixed(4)} tok/s per W` : ''}
      {limits ? <span className="tp-dim"> ({limits})</span> : null}
    </p>
  );
}
