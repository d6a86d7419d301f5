import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent, EngineState, RouterRequestView, SlotView } from '../../../shared/engine-state.js';
import type { GpuSample } from '../../../shared/gpu-types.js';
import { ScriptedEngine } from '../api/testing/scripted-engine.js';
import { SwitchboardMetrics } from './switchboard-metrics.js';

/** The scripted engine with the slots, requests and events a test sets. */
class FakeEngine extends ScriptedEngine {
  slots: SlotView[] = [];
  requests: RouterRequestView[] = [];
  listener: ((event: EngineEvent) => void) | undefined;

  constructor() {
    super({
      models: [
        { id: 'qwen', modelPath: '/models/qwen', gpus: [0], extraArgs: ['--enable-metrics'] },
        { id: 'llama', modelPath: '/models/llama', gpus: [1], extraArgs: ['--enable-metrics'] },
        { id: 'plain', modelPath: '/models/plain', gpus: [2] },
      ],
    });
  }

  override state(): EngineState {
    const ready = this.slots.filter((s) => s.status === 'ready').map((s) => s.modelId!);
    return { ...super.state(), slots: this.slots, activeModels: ready, requests: this.requests };
  }

  override subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listener = listener;
    return () => (this.listener = undefined);
  }
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(text: string): Promise<number> {
  const server = createServer((_req, res) => res.end(text));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const port = await serve('');
  await new Promise((r) => servers.pop()!.close(r));
  return port;
}

const slot = (id: string, modelId: string, port: number, status: SlotView['status'] = 'ready'): SlotView => ({ id, status, modelId, host: '127.0.0.1', port, queue: [] });

const gpu = (index: number, over: Partial<GpuSample> = {}): GpuSample => ({
  index,
  uuid: `GPU-${index}`,
  busId: null,
  name: 'Sim GPU',
  atMs: 1,
  utilGpuPct: 50,
  memUsedMiB: 1024,
  memTotalMiB: 2048,
  tempC: 60,
  powerDrawW: 200,
  powerLimitW: 300,
  enforcedPowerLimitW: 280,
  defaultPowerLimitW: 350,
  minPowerLimitW: 100,
  maxPowerLimitW: 400,
  smClockMHz: null,
  fanPct: null,
  pstate: null,
  ...over,
});

describe('SwitchboardMetrics', () => {
  it('passes a ready metered server through with its model label and counts a dead one as an error', async () => {
    const engine = new FakeEngine();
    const port = await serve('# HELP sglang:num_running_reqs r\n# TYPE sglang:num_running_reqs gauge\nsglang:num_running_reqs{model_name="q"} 3.0\n');
    engine.slots = [slot('a', 'qwen', port), slot('b', 'llama', await deadPort()), slot('c', 'plain', port)];
    const metrics = new SwitchboardMetrics(engine, { upstreamTimeoutMs: 1_000 });
    const first = await metrics.render();
    expect(first).toContain('sglang:num_running_reqs{model="qwen",model_name="q"} 3.0');
    // `plain` runs without --enable-metrics: not scraped.
    expect(first).not.toContain('model="plain",model_name');
    expect(first.match(/# TYPE sglang:num_running_reqs gauge/g)).toHaveLength(1);
    expect(first).toContain('switchboard_upstream_metrics_errors_total{model="llama"} 1');
    expect(first).toContain('switchboard_models_loaded 3');
    metrics.close();
  });

  it('feeds histograms from load records, counters from the router observer, gauges from state and GPU samples', async () => {
    const engine = new FakeEngine();
    engine.slots = [{ ...slot('a', 'qwen', 1, 'loading'), queue: [{ modelId: 'llama', waiters: 2, cause: 'request' }] }];
    engine.requests = [
      { id: 'r1', modelId: 'qwen', state: 'waiting', position: 1, sinceMs: 0, stream: true },
      { id: 'r2', modelId: 'qwen', state: 'waiting', position: 2, sinceMs: 0, stream: true },
      { id: 'r3', modelId: 'llama', state: 'active', sinceMs: 0, stream: false },
      { id: 'r4', modelId: 'llama', state: 'queued', position: 1, sinceMs: 0, stream: false },
    ];
    const metrics = new SwitchboardMetrics(engine);
    engine.listener!({ type: 'load', record: { modelId: 'qwen', startedAtMs: 0, endedAtMs: 95_000, outcome: 'ready', cause: 'request', phaseMs: { weights: 60_000, cuda_graphs: 30_000 } } });
    engine.listener!({ type: 'gpu.sample', samples: [gpu(0), gpu(1, { tempC: null })], host: null });
    metrics.observeRequest({ route: '/v1/chat/completions', model: 'qwen', status: 200, durationMs: 5 });
    metrics.observeRequest({ route: '/v1/chat/completions', model: 'qwen', status: 200, durationMs: 5 });
    metrics.observeRequest({ route: '/v1/models', model: null, status: 401, durationMs: 1 });
    const text = await metrics.render();
    expect(text).toContain('switchboard_model_load_duration_seconds_bucket{le="120",model="qwen",outcome="ready"} 1');
    expect(text).toContain('switchboard_model_load_duration_seconds_bucket{le="90",model="qwen",outcome="ready"} 0');
    expect(text).toContain('switchboard_model_load_duration_seconds_sum{model="qwen",outcome="ready"} 95');
    expect(text).toContain('switchboard_model_load_phase_duration_seconds_sum{model="qwen",phase="weights"} 60');
    expect(text).toContain('switchboard_router_requests_total{model="qwen",route="/v1/chat/completions",status="200"} 2');
    expect(text).toContain('switchboard_router_requests_total{model="",route="/v1/models",status="401"} 1');
    expect(text).toContain('switchboard_router_requests_waiting{model="qwen"} 2');
    expect(text).toContain('switchboard_router_requests_in_flight{model="llama"} 1');
    expect(text).toContain('switchboard_router_requests_queued{model="llama"} 1');
    expect(text).not.toContain('switchboard_router_requests_waiting{model="llama"}');
    expect(text).toContain('switchboard_switch_queue_depth{slot="a"} 1');
    expect(text).toContain('switchboard_model_loaded{model="qwen"} 0');
    expect(text).toContain('switchboard_gpu_utilization_ratio{gpu="0",uuid="GPU-0"} 0.5');
    expect(text).toContain('switchboard_gpu_memory_used_bytes{gpu="1",uuid="GPU-1"} 1073741824');
    expect(text).toContain('switchboard_gpu_power_limit_watts{gpu="0",uuid="GPU-0"} 300');
    // Unknown to the driver: no sample rather than a made-up value.
    expect(text).toContain('switchboard_gpu_temperature_celsius{gpu="0",uuid="GPU-0"} 60');
    expect(text).not.toContain('switchboard_gpu_temperature_celsius{gpu="1"');
    // Nothing passed through: no server is ready.
    expect(text).not.toContain('sglang:');
    metrics.close();
    expect(engine.listener).toBeUndefined();
  });
});

describe('docs/grafana-dashboard.json', () => {
  it('queries only switchboard metrics that exist', async () => {
    const dashboard = readFileSync(new URL('../../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const exprs = JSON.stringify(JSON.parse(dashboard));
    const used = new Set([...exprs.matchAll(/switchboard_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')));
    const metrics = new SwitchboardMetrics(new FakeEngine());
    const known = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    metrics.close();
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
  });
});
