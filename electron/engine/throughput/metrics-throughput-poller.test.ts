import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ThroughputSample } from '../../../shared/throughput.js';
import { renderMetrics, SimMetrics } from '../../../test/fakes/sglang-sim/metrics-text.js';
import { MetricsThroughputPoller, readGenThroughput } from './metrics-throughput-poller.js';

// From ../shared/reference/sglang-server.md §9 (SGLang 0.5.3's exposition).
const REFERENCE = `# HELP sglang:num_running_reqs The number of running requests.
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{engine_type="unified",model_name="llama-3.1-70b-awq",pp_rank="0",tp_rank="0"} 2.0
# HELP sglang:gen_throughput The generation throughput (token/s).
# TYPE sglang:gen_throughput gauge
sglang:gen_throughput{engine_type="unified",model_name="llama-3.1-70b-awq",pp_rank="0",tp_rank="0"} 150.44
`;

describe('readGenThroughput', () => {
  it('reads the reference exposition', () => {
    expect(readGenThroughput(REFERENCE)).toEqual({ genTokPerS: 150.44, runningReqs: 2 });
  });

  it("reads the simulator's exposition (no gen_throughput_total or other prefix confusion)", () => {
    const metrics = new SimMetrics();
    metrics.genThroughput = 48.5;
    const text = renderMetrics('m', metrics, { runningReqs: 1, queuedReqs: 0, usedTokens: 10, tokenUsage: 0, engineStartupS: 1, loadWeightsS: 1 });
    expect(readGenThroughput(text)).toEqual({ genTokPerS: 48.5, runningReqs: 1 });
  });

  it('sums DP ranks, skips TP ranks other than 0, and says null when absent', () => {
    const text = ['sglang:gen_throughput{dp_rank="0",tp_rank="0"} 10', 'sglang:gen_throughput{dp_rank="1",tp_rank="0"} 12', 'sglang:gen_throughput{dp_rank="0",tp_rank="1"} 10'].join('\n');
    expect(readGenThroughput(text)).toEqual({ genTokPerS: 22, runningReqs: null });
    expect(readGenThroughput('')).toEqual({ genTokPerS: null, runningReqs: null });
  });
});

describe('MetricsThroughputPoller', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('reports a reading while requests run, once per change, nothing while idle', async () => {
    const answers = [
      [50, 1],
      [50, 1],
      [0, 0],
      [61.5, 2],
    ];
    let served = 0;
    server = createServer((_req, res) => {
      const [gen, running] = answers[Math.min(served++, answers.length - 1)] ?? [0, 0];
      res.end(`sglang:num_running_reqs{tp_rank="0"} ${running}\nsglang:gen_throughput{tp_rank="0"} ${gen}\n`);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const samples: ThroughputSample[] = [];
    const poller = new MetricsThroughputPoller('m', `http://127.0.0.1:${port}`, 10, (s) => samples.push(s));
    poller.start();
    while (served < answers.length + 1) await new Promise((r) => setTimeout(r, 10));
    poller.stop();
    expect(samples.map((s) => [s.genTokPerS, s.runningReqs, s.source])).toEqual([
      [50, 1, 'metrics'],
      [61.5, 2, 'metrics'],
    ]);
  });
});
