// The fit estimate as it crosses the API (models.fit); computed by electron/engine/fit/estimate-fit.ts.

/** fits; tight (fewer KV tokens than one context); will_not_fit (refused before launch unless forced); unknown (no GPU data). */
export type FitVerdict = 'fits' | 'tight' | 'will_not_fit' | 'unknown';

/** Weights per GPU, KV bytes per token, tokens of KV that fit and the verdict, with a one-line summary. */
export interface FitEstimate {
  verdict: FitVerdict;
  weightsPerGpuGib: number;
  weightsSource: 'learned' | 'files' | 'params';
  /** cell_size: KV bytes of one token on one GPU. */
  kvBytesPerToken: number;
  /** The same summed over the TP ranks (each holds its own share, replicated heads included). */
  kvBytesPerTokenAllGpus: number;
  memFractionStatic: number;
  /** max_total_num_tokens: tokens of KV that fit (null without GPU data). */
  kvTokens: number | null;
  /** K+V pool per GPU, GiB. */
  kvPoolGib: number | null;
  /** GiB missing on the emptiest GPU when the verdict is will_not_fit, else 0. */
  shortfallGib: number;
  /** One line with the numbers, e.g. "GPU 0: weights 15.4 GiB/GPU, KV 64 KiB/token, 46,611 tokens fit (context 32,768)". */
  summary: string;
}

/**
 * One load's memory as predicted before the launch and as SGLang then reported it (the switch
 * progress shows both). `actual` fills in as the load runs: weights from `Load weight end … mem usage=`,
 * KV tokens from `max_total_num_tokens=` (or `KV Cache is allocated. #tokens:`), then, once ready,
 * from the server's own `/server_info` (`internal_states[0].memory_usage`).
 */
export interface FitComparison {
  /** The estimate the engine made when the load's turn came (null when none could be made). */
  predicted: Pick<FitEstimate, 'verdict' | 'weightsPerGpuGib' | 'weightsSource' | 'kvTokens' | 'summary'> | null;
  actual: {
    /** Per GPU, GiB (rank 0). */
    weightsPerGpuGib: number | null;
    kvTokens: number | null;
    /** Where the figures came from so far. */
    source: 'log' | 'server_info' | null;
  };
}
