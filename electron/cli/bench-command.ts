import { parseArgs } from 'node:util';
import { ApiCallError } from '../../shared/switchboard-api.js';
import type { BenchResult, BenchSummaryRow } from '../../shared/throughput.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE } from './engine-connection.js';
import { withEngine, type EngineSession } from './engine-session.js';
import { formatTable } from './format-table.js';
import { parseOrUsage, UsageError } from './usage-error.js';

const USAGE = `usage: switchboard bench [MODEL] [--tokens N] [options]

Streams a fixed prompt for N tokens (default 256) through MODEL (default: the active model; it is
loaded first when needed) and records tok/s, time to first token and the GPUs' power limits and
draw. Prints the run, then the tok/s table per model and power limit. Exits 1 when the run fails.

  --tokens N       tokens to generate (2-32768)
${CONNECTION_USAGE}`;

export async function runBench(args: string[]): Promise<number> {
  const options = { ...CONNECTION_OPTIONS, tokens: { type: 'string' } } as const;
  const { values, positionals } = parseOrUsage(USAGE, () => parseArgs({ args, options, allowPositionals: true, strict: true }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('bench takes at most one model id or alias', USAGE);
  const maxTokens = values.tokens === undefined ? undefined : Number(values.tokens);
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens >= 2)) throw new UsageError(`--tokens must be a whole number ≥ 2, got "${values.tokens}"`, USAGE);
  return withEngine(values, async (engine) => {
    const model = positionals[0] ?? (await activeModel(engine));
    console.log(`benchmarking ${model}${maxTokens ? ` (${maxTokens} tokens)` : ''}…`);
    const result = await engine.api['bench.run']({ model, ...(maxTokens ? { maxTokens } : {}) }).catch((err: unknown) => {
      throw withTooFewTokensHint(err);
    });
    console.log(formatBenchResult(result));
    const history = await engine.api['bench.history']({});
    console.log(`\n${formatBenchSummary(history.summary)}`);
    return 0;
  });
}

/** `too_few_tokens`: the run left no rate to report; say what to change (exit 1, as any failed run). */
function withTooFewTokensHint(err: unknown): unknown {
  if (!(err instanceof ApiCallError) || err.code !== 'too_few_tokens') return err;
  return new ApiCallError({ code: err.code, message: `${err.message} — ask for more with --tokens N (e.g. --tokens 256)`, ...(err.details ? { details: err.details } : {}) });
}

async function activeModel(engine: EngineSession): Promise<string> {
  const state = await engine.api['state.get']({});
  const active = state.activeModels ?? (state.activeModel ? [state.activeModel] : []);
  if (active.length === 1) return active[0]!;
  if (active.length > 1) throw new UsageError(`several models are loaded (${active.join(', ')}); name the one to benchmark`, USAGE);
  throw new UsageError('no model is active; name the model to benchmark', USAGE);
}

/** One run on one line: "mistral: 43.20 tok/s, TTFT 310 ms, 256 tokens, GPUs 0,1 @ 350 W, 612 W → 0.0706 tok/W". */
export function formatBenchResult(r: BenchResult): string {
  const gpus = r.gpus.length > 0 ? `, GPUs ${r.gpus.join(',')} @ ${formatLimits(r.powerLimitsW)}` : '';
  const power = r.powerDrawW === null ? '' : `, ${Math.round(r.powerDrawW)} W → ${r.tokPerW?.toFixed(4)} tok/W`;
  return `${r.modelId}: ${r.tokPerS.toFixed(2)} tok/s, TTFT ${r.ttftMs} ms, ${r.tokens} tokens${gpus}${power}`;
}

/** The per-model, per-limit table. */
export function formatBenchSummary(rows: BenchSummaryRow[]): string {
  if (rows.length === 0) return 'no benchmark runs recorded';
  return formatTable(
    ['MODEL', 'POWER LIMIT', 'RUNS', 'TOK/S', 'BEST', 'TTFT', 'TOK/W'],
    rows.map((row) => [
      row.modelId,
      row.powerLimitW !== null ? `${row.powerLimitW} W` : formatLimits(row.powerLimitsW),
      String(row.runs),
      row.tokPerS.toFixed(2),
      row.bestTokPerS.toFixed(2),
      `${row.ttftMs} ms`,
      row.tokPerW === null ? '-' : row.tokPerW.toFixed(4),
    ]),
  );
}

/** "350 W" when all GPUs share a limit, else "300/350 W"; "?" for an unknown one. */
function formatLimits(limits: (number | null)[]): string {
  if (limits.length === 0) return '-';
  const shown = limits.map((w) => (w === null ? '?' : String(w)));
  return new Set(shown).size === 1 ? `${shown[0]} W` : `${shown.join('/')} W`;
}
