import { describe, expect, it } from 'vitest';
import type { LogEvent } from './log-event.js';
import { readSglangRecords, SGLANG_LOG_FIXTURES } from '../test/fixtures/read-sglang-log.js';
import { parseSglangLine } from './parse-sglang-line.js';

/** `L12 kind TPn key=value`: one line per event, so a whole fixture's parse reads like SOURCES.md. */
function describeEvent(e: LogEvent): string {
  const rank = 'rank' in e && e.rank !== undefined ? ` TP${e.rank}` : '';
  return `${e.kind}${rank}${eventKeys(e)}`.trimEnd();
}

function eventKeys(e: LogEvent): string {
  switch (e.kind) {
    case 'server_args':
      return ` tp=${e.tpSize} compile=${e.torchCompile} maxBs=${e.torchCompileMaxBs} noGraph=${e.disableCudaGraph} port=${e.port} name=${e.servedModelName}`;
    case 'weights_begin':
    case 'mem_pool_end':
      return ` avail=${e.availGb}`;
    case 'shard_progress':
      return ` ${e.done}/${e.total} ${e.percent}%`;
    case 'weights_end':
      return ` ${e.modelClass} avail=${e.availGb} used=${e.memUsageGb}`;
    case 'kv_alloc':
      return ` tokens=${e.tokens}`;
    case 'graph_bs':
      return ` n=${e.batchSizes.length} [${e.batchSizes.slice(0, 3).join(',')}..${e.batchSizes.at(-1)}]`;
    case 'graph_progress':
      return `${e.bs === undefined ? '' : ` bs=${e.bs}`} ${e.done}/${e.total}`;
    case 'graph_end':
      return ` ${e.elapsedS}s`;
    case 'max_tokens':
      return ` ${e.maxTotalTokens} ctx=${e.contextLen} run=${e.maxRunningRequests}`;
    case 'http_up':
      return ` ${e.host}:${e.port}`;
    case 'prefill':
      return ` seq=${e.newSeqs} tok=${e.newTokens} run=${e.runningReqs} q=${e.queueReqs}`;
    case 'decode':
      return ` run=${e.runningReqs} tok=${e.tokens} ${e.genTokPerS}tok/s q=${e.queueReqs}`;
    case 'failure':
      return ` ${e.cause}`;
    default:
      return '';
  }
}

function parseFixture(name: string): string[] {
  return readSglangRecords(name).flatMap((r) => {
    const event = parseSglangLine(r.text);
    return event ? [`L${r.line} ${describeEvent(event)}`] : [];
  });
}

/** `first` on consecutive lines, one per rank: the per-rank copies TP>1 prints. */
function perRank(first: number, ranks: number[], kind: string, keys = ''): string[] {
  return ranks.map((rank, i) => `L${first + i} ${kind} TP${rank}${keys}`);
}

function shards(first: number, total: number, percents: number[]): string[] {
  return percents.map((p, i) => `L${first + i} shard_progress ${Math.min(i, total)}/${total} ${p}%`);
}

describe('parseSglangLine over the real fixtures (expected parses from SOURCES.md)', () => {
  it('reads fixture 1: 0.4.3.post4, TP4, plain tqdm graph bar with a glued record', () => {
    expect(parseFixture(SGLANG_LOG_FIXTURES.tp4)).toEqual([
      'L3 server_args tp=4 compile=false maxBs=32 noGraph=false port=30000 name=/home/model/Qwen/QwQ-32B',
      ...perRank(9, [3, 1, 0, 2], 'dist_begin'),
      ...perRank(21, [2, 3, 1, 0], 'dist_end'),
      ...perRank(25, [3, 0, 1, 2], 'weights_begin', ' avail=21.63'),
      ...shards(33, 14, [0, 7, 14, 21, 29, 36, 43, 50, 57, 64, 71, 79, 86, 93, 100, 100]),
      ...perRank(50, [1, 2, 3, 0], 'weights_end', ' Qwen2ForCausalLM avail=6.09 used=15.54'),
      ...perRank(54, [0, 1, 2, 3], 'kv_alloc', ' tokens=46611'),
      ...perRank(58, [0, 1, 2, 3], 'mem_pool_end', ' avail=2.09'),
      'L62 graph_begin TP0',
      'L63 graph_progress 0/13',
      'L63 graph_begin TP1',
      'L64 graph_begin TP2',
      'L65 graph_begin TP3',
      'L66 graph_progress 13/13',
      'L67 graph_end TP0 7.23s',
      'L68 graph_end TP3 7.22s',
      'L69 graph_end TP2 7.24s',
      'L70 graph_end TP1 7.25s',
      ...perRank(71, [0, 3, 2, 1], 'max_tokens', ' 46611 ctx=131072 run=2049'),
      'L78 http_up 0.0.0.0:30000',
      'L80 prefill seq=1 tok=6 run=0 q=0',
      'L82 warmup_req',
      'L83 ready',
    ]);
  });

  it('reads fixture 3: 0.5.1.post3 docs CI, TP1 without prefix, Capturing batches bar', () => {
    expect(parseFixture(SGLANG_LOG_FIXTURES.docsci)).toEqual([
      'L5 server_args tp=1 compile=false maxBs=32 noGraph=false port=33349 name=qwen/qwen2.5-0.5b-instruct',
      'L15 dist_begin',
      'L22 dist_end',
      'L24 weights_begin avail=60.38',
      'L28 shard_progress 0/1 0%',
      'L29 shard_progress 1/1 100%',
      'L30 shard_progress 1/1 100%',
      'L32 weights_end Qwen2ForCausalLM avail=59.29 used=1.09',
      'L33 kv_alloc tokens=20480',
      'L34 mem_pool_end avail=58.86',
      'L35 graph_begin',
      'L36 graph_bs n=3 [1,2,4..4]',
      'L37 graph_progress 0/3',
      'L37 graph_progress bs=4 0/3',
      'L38 graph_progress bs=4 1/3',
      'L38 graph_progress bs=2 1/3',
      'L38 graph_progress bs=1 1/3',
      'L38 graph_progress bs=1 3/3',
      'L39 graph_end 0.79s',
      'L40 max_tokens 20480 ctx=32768 run=128',
      'L44 http_up 0.0.0.0:33349',
      'L47 prefill seq=1 tok=6 run=0 q=0',
      'L48 warmup_req',
      'L49 ready',
      'L50 prefill seq=1 tok=36 run=0 q=0',
      'L52 prefill seq=1 tok=1 run=0 q=0',
      'L54 prefill seq=1 tok=13 run=0 q=0',
      'L55 decode run=1 tok=54 6.67tok/s q=0',
    ]);
  });

  it('reads fixture 6: 2026 0.5.x head, elapsed= fields, comma batch lines, no graph phase', () => {
    const throughputs = [0.41, 72.18, 71.95, 71.81, 71.82, 71.72, 71.82, 71.6, 71.78, 71.8, 71.89, 71.88, 71.82, 71.98, 72.05, 71.97, 71.96, 72.08, 72.04, 72.18, 72.0, 71.68, 71.82, 71.81, 71.57];
    expect(parseFixture(SGLANG_LOG_FIXTURES.runtime)).toEqual([
      'L4 server_args tp=1 compile=false maxBs=32 noGraph=true port=30000 name=/share/home/cli/code/models/Qwen2.5-3B-Instruct',
      'L9 dist_begin',
      'L13 dist_end',
      'L17 weights_begin avail=78.64',
      ...shards(19, 2, [0, 50, 100, 100]),
      'L25 weights_end Qwen2ForCausalLM avail=72.76 used=5.88',
      'L27 kv_alloc tokens=1743556',
      'L28 mem_pool_end avail=12.34',
      'L29 max_tokens 1743556 ctx=32768 run=4096',
      'L34 http_up 127.0.0.1:30000',
      'L36 prefill seq=1 tok=6 run=0 q=0',
      'L37 warmup_req',
      'L38 ready',
      'L39 prefill seq=1 tok=70 run=0 q=0',
      'L40 warmup_req',
      'L41 prefill seq=1 tok=1382 run=0 q=0',
      ...throughputs.map((t, i) => `L${42 + i} decode run=1 tok=${1400 + 40 * i} ${t}tok/s q=0`),
      'L67 warmup_req',
      'L68 prefill seq=1 tok=1 run=0 q=0',
      'L69 warmup_req',
    ]);
  });

  it('reads fixture 12: 0.5.12 fork OOM tail, piecewise graph begin, sigquit', () => {
    expect(parseFixture(SGLANG_LOG_FIXTURES.oom)).toEqual(['L1 mem_pool_end TP1 avail=0.49', 'L2 graph_begin TP1', 'L3 failure exited', 'L38 failure oom', 'L40 failure exited']);
    const oom = parseSglangLine(readSglangRecords(SGLANG_LOG_FIXTURES.oom).find((r) => r.line === 38)!.text);
    expect(oom).toMatchObject({ kind: 'failure', cause: 'oom', detail: expect.stringMatching(/^torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate 384\.00 MiB/) });
  });

  it('reads the 0.5.3 reference sample: torch.compile args, bs list, graph bar, shutdown', () => {
    const graphBar = [
      [512, 0],
      [496, 1],
      [480, 2],
      [464, 3],
      [352, 10],
      [224, 20],
      [144, 30],
      [64, 40],
      [40, 43],
      [32, 44],
      [24, 45],
      [16, 46],
      [12, 47],
      [8, 48],
      [4, 49],
      [2, 50],
      [1, 51],
      [1, 52],
    ];
    expect(parseFixture(SGLANG_LOG_FIXTURES.reference)).toEqual([
      'L19 server_args tp=4 compile=true maxBs=32 noGraph=false port=30000 name=llama-3.1-70b-awq',
      'L31 dist_begin TP0',
      'L45 dist_end TP0',
      'L46 weights_begin TP0 avail=78.05',
      ...shards(47, 9, [0, 11, 22, 33, 44, 56, 67, 78, 89, 100]),
      'L58 weights_end TP0 LlamaForCausalLM avail=68.03 used=10.02',
      ...perRank(60, [0, 2, 1, 3], 'kv_alloc', ' tokens=711631'),
      'L64 mem_pool_end TP0 avail=12.38',
      'L65 graph_begin TP0',
      'L66 graph_bs TP0 n=52 [1,2,4..512]',
      ...graphBar.map(([bs, done], i) => `L${67 + i} graph_progress bs=${bs} ${done}/52`),
      'L89 graph_end TP0 387.21s',
      'L90 max_tokens TP0 711631 ctx=131072 run=2779',
      'L96 http_up 0.0.0.0:30000',
      'L99 prefill seq=1 tok=7 run=0 q=0',
      'L100 warmup_req',
      'L101 ready',
      'L102 prefill seq=1 tok=1 run=0 q=0',
      'L105 prefill seq=1 tok=50 run=0 q=0',
      'L106 decode run=1 tok=89 1.62tok/s q=0',
      'L107 decode run=1 tok=129 71.84tok/s q=0',
      'L108 decode run=1 tok=169 72.05tok/s q=0',
      'L112 prefill seq=3 tok=1864 run=0 q=0',
      'L113 decode run=3 tok=2039 24.71tok/s q=0',
      'L115 prefill seq=1 tok=12 run=3 q=0',
      'L116 decode run=4 tok=2197 201.37tok/s q=0',
      'L117 decode run=4 tok=2357 236.9tok/s q=0',
      'L119 decode run=3 tok=2471 231.18tok/s q=0',
      'L120 decode run=2 tok=2002 150.44tok/s q=0',
      'L121 shutdown',
      'L122 shutdown',
    ]);
  });
});

describe('parseSglangLine ignores noise', () => {
  it.each([
    'python3.12 -m sglang.launch_server   --model Qwen/QwQ-32B --port 30000 --tensor-parallel-size 4',
    'INFO 03-07 12:29:02 __init__.py:190] Automatically detected platform cuda.',
    'INFO 03-25 11:06:16 [__init__.py:241] Automatically detected platform cuda.',
    '[Gloo] Rank 0 is connected to 3 peer ranks. Expected number of connected peer ranks is : 3',
    'W0901 08:07:37.987000 2388840 torch/utils/cpp_extension.py:2425] TORCH_CUDA_ARCH_LIST is not set, all archs for visible cards are included for compilation. ',
    '`torch_dtype` is deprecated! Use `dtype` instead!',
    'WARNING:transformers.configuration_utils:`torch_dtype` is deprecated! Use `dtype` instead!',
    'All deep_gemm operations loaded successfully!',
    'nohup: ignoring input',
    '[2026-03-25 11:06:20] INFO server_args.py:1835: Attention backend not specified. Use flashinfer backend by default.',
    '[2025-03-08 12:29:12 TP0] sglang is using nccl==2.21.5',
    "[2025-03-08 12:29:13 TP3] The following error message 'operation scheduled before its operands' can be ignored.",
    "[2025-03-08 12:29:12 TP0] Custom allreduce is disabled because it's not supported on more than two PCIe-only GPUs.",
    '[2025-10-14 11:20:50 TP0] Using KV cache dtype: torch.float16',
    '[2025-10-14 11:27:19 TP0] Registering 8312 cuda graph addresses',
    '[2025-09-01 08:07:52] IS_TBO_ENABLED is not initialized, using False',
    '[2025-10-14 11:27:21] INFO:     Started server process [48211]',
    '[2025-10-14 11:27:21] INFO:     Application startup complete.',
    '[2025-10-14 11:27:21] INFO:     127.0.0.1:51630 - "GET /health HTTP/1.1" 503 Service Unavailable',
    '[2025-10-14 11:27:22] INFO:     127.0.0.1:51642 - "GET /get_model_info HTTP/1.1" 200 OK',
    '[2025-10-14 11:27:46] INFO:     10.0.0.5:40112 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
    '[2025-10-14 11:27:23] INFO:     127.0.0.1:51648 - "POST /generate HTTP/1.1" 500 Internal Server Error',
    '  File "/data/sglang-rebase-v0512/python/sglang/srt/managers/scheduler.py", line 4025, in run_scheduler_process',
    '                ^^^^^^^^^^',
    'AssertionError',
    '# SYNTHETIC LOG - NOT CAPTURED FROM A REAL RUN.',
  ])('%s', (line) => {
    expect(parseSglangLine(line)).toBeNull();
  });
});

describe('parseSglangLine reads the format drift between versions', () => {
  it.each<[string, LogEvent]>([
    ['[12:29:21 TP1] Init torch distributed begin.', { kind: 'dist_begin', rank: 1 }],
    ['[2025-01-01 10:00:00 DP1 TP3] Load weight begin. avail mem=10.00 GB', { kind: 'weights_begin', rank: 3, availGb: 10 }],
    ['[2025-01-01 10:00:00 TP5 EP5] Memory pool end. avail mem=3.50 GB', { kind: 'mem_pool_end', rank: 5, availGb: 3.5 }],
    ['[2026-03-25 11:06:37] Init torch distributed ends. elapsed=0.39 s, mem usage=0.08 GB', { kind: 'dist_end', rank: undefined }],
    [
      '[2024-12-01 10:00:00 TP0] Load weight end. type=LlamaForCausalLM, dtype=torch.float16, avail mem=10.50 GB',
      { kind: 'weights_end', rank: 0, modelClass: 'LlamaForCausalLM', availGb: 10.5, memUsageGb: undefined },
    ],
    [
      '[2026-05-01 10:00:00] Load weight end. elapsed=3.10 s, type=Qwen3ForCausalLM, quant=awq, bits=4, avail mem=20.10 GB, mem usage=4.20 GB.',
      { kind: 'weights_end', rank: undefined, modelClass: 'Qwen3ForCausalLM', availGb: 20.1, memUsageGb: 4.2 },
    ],
    ['[2025-01-01 10:00:00 TP0] KV Cache is allocated. #tokens: 1000, KV size: 2.00 GB', { kind: 'kv_alloc', rank: 0, tokens: 1000 }],
    ['[2024-12-01 10:00:00 TP0] KV Cache is allocated. K size: 1.00 GB, V size: 1.00 GB', { kind: 'kv_alloc', rank: 0, tokens: undefined, kSizeGb: 1, vSizeGb: 1 }],
    [
      '[2026-05-01 10:00:00] KV Cache is allocated. dtype: torch.bfloat16, #tokens: 5000, K size: 1.00 GB, V size: 1.00 GB',
      { kind: 'kv_alloc', rank: undefined, tokens: 5000, kSizeGb: 1, vSizeGb: 1 },
    ],
    ['[2024-12-01 10:00:00 TP0] Capture cuda graph begin. This can take up to several minutes.', { kind: 'graph_begin', rank: 0 }],
    ['[2026-05-01 10:00:00] Capture target prefill CUDA graph begin. backend=breakable, num_tokens=[4, 8], avail mem=9.00 GB', { kind: 'graph_begin', rank: undefined }],
    ['[2025-06-01 10:00:00 TP0] Capture draft cuda graph begin. This can take up to several minutes. avail mem=9.00 GB', { kind: 'graph_begin', rank: 0 }],
    ['[2024-12-01 10:00:00 TP0] Capture cuda graph end. Time elapsed: 5.12 s', { kind: 'graph_end', rank: 0, elapsedS: 5.12 }],
    ['[2026-05-01 10:00:00] Capture target prefill CUDA graph end. elapsed=12.50 s, mem usage=1.00 GB, avail mem=8.00 GB', { kind: 'graph_end', rank: undefined, elapsedS: 12.5 }],
    ['Capturing num tokens (num_tokens=512 avail_mem=10.10 GB):  50%|█████     | 5/10 [00:01<00:01,  3.00it/s]', { kind: 'graph_progress', done: 5, total: 10 }],
    ['100%|██████████| 13/13 [00:07<00:00,  1.80it/s]', { kind: 'graph_progress', done: 13, total: 13 }],
    [
      '[2024-12-01 10:00:00 TP0] Prefill batch. #new-seq: 1, #new-token: 7, #cached-token: 0, cache hit rate: 0.00%, token usage: 0.00, #running-req: 0, #queue-req: 0',
      { kind: 'prefill', newSeqs: 1, newTokens: 7, runningReqs: 0, queueReqs: 0 },
    ],
    [
      '[2026-05-01 10:00:00] Prefill batch, #new-seq: 2, #new-token: 100, #cached-token: 0, full token usage: 0.01, swa token usage: 0.02, #running-req: 1, #queue-req: 3, ',
      { kind: 'prefill', newSeqs: 2, newTokens: 100, runningReqs: 1, queueReqs: 3 },
    ],
    [
      '[2026-05-01 10:00:00] Decode batch, #running-req: 2, #full token: 300, full token usage: 0.01, #swa token: 200, swa token usage: 0.01, accept len: 1.50, cuda graph: True, gen throughput (token/s): 55.50, #queue-req: 4, ',
      { kind: 'decode', runningReqs: 2, tokens: 300, genTokPerS: 55.5, queueReqs: 4 },
    ],
    ['[2025-01-01 10:00:00] INFO:     Uvicorn running on http://[::1]:30001 (Press CTRL+C to quit)', { kind: 'http_up', host: '::1', port: 30001 }],
    ['[2025-10-14 11:28:57] SIGTERM received. signum=None frame=None. Draining requests and shutting down...', { kind: 'shutdown' }],
  ])('%s', (line, event) => {
    expect(parseSglangLine(line)).toEqual(event);
  });

  it('reads the fit inputs from server_args: model path, mem_fraction_static, kv_cache_dtype, limits', () => {
    const line =
      "[2025-01-01 10:00:00] server_args=ServerArgs(model_path='/models/Q', kv_cache_dtype='fp8_e4m3', context_length=8192, mem_fraction_static=0.874, max_total_tokens=20480, page_size=1, tp_size=1)";
    expect(parseSglangLine(line)).toMatchObject({ modelPath: '/models/Q', kvCacheDtype: 'fp8_e4m3', contextLength: 8192, memFractionStatic: 0.874, maxTotalTokens: 20480, pageSize: 1 });
    const none = parseSglangLine("[2025-01-01 10:00:00] server_args=ServerArgs(model_path='/m', context_length=None, max_total_tokens=None, mem_fraction_static=None)");
    expect(none).toMatchObject({ contextLength: undefined, maxTotalTokens: undefined, memFractionStatic: undefined });
  });

  it('reads server_args fields without confusing nccl_port, moe_dense_tp_size or commas in quotes', () => {
    const line =
      "[2025-01-01 10:00:00] server_args=ServerArgs(model_path='/m', nccl_port=1234, moe_dense_tp_size=None, served_model_name='a, b=1', port=30001, tp_size=2, disable_cuda_graph=True, enable_torch_compile=True, torch_compile_max_bs=16, watchdog_timeout=300)";
    expect(parseSglangLine(line)).toEqual({
      kind: 'server_args',
      tpSize: 2,
      torchCompile: true,
      torchCompileMaxBs: 16,
      disableCudaGraph: true,
      servedModelName: 'a, b=1',
      port: 30001,
      modelPath: '/m',
    });
  });
});

describe('parseSglangLine reads failure lines', () => {
  it.each([
    ['torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB. GPU 0 has a total capacity of 79.19 GiB', 'oom'],
    ['RuntimeError: CUDA error: out of memory', 'oom'],
    ['RuntimeError: Not enough memory. Please try to increase --mem-fraction-static. Current value: self.server_args.mem_fraction_static=0.88', 'not_enough_memory'],
    ['Exception: Capture cuda graph failed: CUDA out of memory. Tried to allocate 20.00 MiB.', 'oom'],
    ['Exception: Capture cuda graph failed: CUBLAS_STATUS_EXECUTION_FAILED', 'cuda_graph_capture'],
    ["[2025-10-14 11:27:21] ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 30000): address already in use", 'port_busy'],
    ['ValueError: The input size is not aligned with the quantized weight shape. This can be caused by too large tensor parallel size.', 'tp_mismatch'],
    ['    assert self.total_num_heads % tp_size == 0', 'tp_mismatch'],
    ['    assert self.total_num_kv_heads % tp_size == 0', 'tp_mismatch'],
    ['    assert tp_size % self.num_key_value_heads == 0', 'tp_mismatch'],
    ['    assert self.total_num_heads % attn_tp_size == 0', 'tp_mismatch'],
    ['RuntimeError: CUDA error: invalid device ordinal', 'invalid_device'],
    ['ValueError: The memory capacity is unbalanced. Some GPUs may be occupied by other processes. min_per_gpu_memory=20.1', 'unbalanced_memory'],
    ['ValueError: User-specified context_length (200000) is greater than the derived context_length (131072).', 'context_too_long'],
    ['[2025-10-14 11:29:21] Initialization failed. warmup error: Traceback (most recent call last):', 'warmup_failed'],
    ["launch_server.py: error: argument --tp-size: invalid int value: 'x'", 'bad_args'],
    ["OSError: foo/bar is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'", 'model_not_found'],
    ['OSError: /models/x does not appear to have a file named config.json. Checkout the repo', 'model_not_found'],
    ['[2025-10-14 11:20:50 TP2] Scheduler hit an exception: Traceback (most recent call last):', 'exited'],
    ['[2025-10-14 11:20:50] Received sigquit from a child process. It usually means the child failed.', 'exited'],
    ['[2026-03-25 12:00:00] SIGQUIT received. signum=None, frame=None. It usually means one child failed.', 'exited'],
    ['[2025-10-14 11:20:50] DetokenizerManager hit an exception: Traceback (most recent call last):', 'exited'],
    ['[2025-10-14 11:20:50] Rank 0 scheduler is dead. Please check if there are relevant logs.', 'exited'],
  ])('%s → %s', (line, cause) => {
    const event = parseSglangLine(line);
    expect(event).toMatchObject({ kind: 'failure', cause });
    expect(event?.kind === 'failure' && event.detail.length).toBeGreaterThan(10);
  });

  it('keeps the message without the prefix as detail', () => {
    expect(parseSglangLine('[2025-10-14 11:20:50 TP2] Scheduler hit an exception: Traceback (most recent call last):')).toEqual({
      kind: 'failure',
      cause: 'exited',
      detail: 'Scheduler hit an exception: Traceback (most recent call last):',
    });
  });
});
