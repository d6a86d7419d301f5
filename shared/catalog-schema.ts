import { z } from 'zod';

import { LOADING_MESSAGE_STYLES, MODEL_ID_PATTERN, SGLANG_QUANTIZATIONS } from './catalog-constants.js';
import { STALL_PHASES, type StallPhase } from './stall-timeouts.js';

export { LOADING_MESSAGE_STYLES, MODEL_ID_PATTERN, SGLANG_QUANTIZATIONS };

const modelId = z
  .string()
  .min(1)
  .max(128)
  .regex(MODEL_ID_PATTERN, 'must start with a letter or digit and contain only letters, digits and . _ : + -')
  .refine((s) => !s.includes('..'), 'must not contain ".."');

const port = z.number().int().min(1).max(65535);
const envMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment names are [A-Za-z_][A-Za-z0-9_]*'), z.string());

/** A browser origin as browsers send it: scheme://host[:port], nothing after. */
const origin = z.string().refine(isOrigin, 'must be an origin such as http://localhost:5173 (scheme://host[:port], no path)');
/** A host name or IP address as it appears in a Host header, without the port. */
const hostName = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?)$/,
    'must be a host name or IP address without a port, e.g. gpu-box.lan or 192.168.1.20',
  );

/** Admin keys steer the host (power limits through the root helper): short ones can be guessed. */
export const MIN_ADMIN_KEY_CHARS = 16;

export const routerSettingsSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8002),
    /** Inference keys: /v1/* (and /health) need one of them when set. They never open /api/. */
    apiKeys: z.array(z.string().min(1)).default([]),
    /** Admin keys for /api/* besides the generated admin token; required when host is not loopback. */
    adminKeys: z.array(z.string().min(MIN_ADMIN_KEY_CHARS, `admin keys need at least ${MIN_ADMIN_KEY_CHARS} characters (e.g. openssl rand -hex 32)`)).default([]),
    /** Browser origins besides the UI's own that may use the admin API (e.g. a dev server). */
    allowedOrigins: z.array(origin).default([]),
    /** Host names the router answers the admin API and the UI under, besides loopback and the bind address. */
    allowedHosts: z.array(hostName).default([]),
    /** Browser origins that may call /v1/* with CORS; [] (the default) sends no CORS headers, ["*"] allows any. */
    corsOrigins: z.array(z.union([z.literal('*'), origin])).default([]),
    loadingMessages: z.enum(LOADING_MESSAGE_STYLES).default('content'),
    /**
     * List aliases in GET /v1/models as models of their own (with `alias_of`). Off by default: Open
     * WebUI and most pickers would show each model once per name. A request by alias works either way.
     */
    listAliases: z.boolean().default(false),
  })
  .strict()
  .superRefine((r, ctx) => {
    const inference = new Set(r.apiKeys);
    r.adminKeys.forEach((key, i) => {
      if (inference.has(key)) ctx.addIssue({ code: 'custom', path: ['adminKeys', i], message: 'the same key is in apiKeys: an inference key must not open the admin API' });
    });
  });

/** True for `scheme://host[:port]` exactly as URL would print its origin (lower-case, no default port, no slash). */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** `stallTimeoutS`: seconds for every phase of a load, or some phases by name (shared/stall-timeouts.ts). */
export const stallTimeoutSchema = z.union([
  z.number().positive(),
  z.object(Object.fromEntries(STALL_PHASES.map((p) => [p, z.number().positive().optional()])) as Record<StallPhase, z.ZodOptional<z.ZodNumber>>).strict(),
]);

export const backendSettingsSchema = z
  .object({
    kind: z.enum(['process', 'systemd']).default('process'),
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(8001),
    readyTimeoutS: z.number().positive().default(1800),
    stopTimeoutS: z.number().positive().default(30),
    /** How long a switch waits for the current model's in-flight requests before stopping it anyway. */
    drainTimeoutS: z.number().min(0).default(300),
    /**
     * How long a load may show no progress before it is stopped as `stuck` (and tried once more): seconds
     * for every phase, or per phase (`{ torch_compile: 3600 }`); see shared/stall-timeouts.ts for the defaults.
     */
    stallTimeoutS: stallTimeoutSchema.optional(),
    unit: z
      .string()
      .max(256)
      .regex(
        /^[A-Za-z0-9:_.\\][A-Za-z0-9:_.\\-]*(@[A-Za-z0-9:_.\\-]*)?\.service$/,
        'must be a systemd service name such as sglang.service, or a template such as sglang@.service (one instance per GPU set)',
      )
      .default('sglang.service'),
    scope: z.enum(['system', 'user']).default('system'),
    /**
     * The ports slots may use, [first, last] inclusive; default backend.port … backend.port+31. The
     * slot without `gpus` (or else the first slot) takes backend.port when it lies in the range.
     */
    portRange: z.tuple([port, port]).optional(),
    /** Warm models asleep at once, at most (default 2; 0 turns sleeping off: warm models stop like cold ones). */
    maxSleepers: z.number().int().min(0).max(16).optional(),
    /** How long putting a server to sleep or waking it may take before it is stopped and loaded cold (default 120). */
    sleepTimeoutS: z.number().positive().optional(),
  })
  .strict();

export const sglangSettingsSchema = z
  .object({
    command: z.array(z.string().min(1)).min(1).default(['python3', '-m', 'sglang.launch_server']),
    env: envMap.default({}),
  })
  .strict();

/** nvidia-smi -pl takes whole watts. */
const watts = z.number().int().positive().max(5000);

export const gpuSettingsSchema = z
  .object({
    /** Default "nvidia-smi" on PATH. */
    nvidiaSmiPath: z.string().min(1).optional(),
    sampleIntervalMs: z.number().int().min(100).max(60_000).default(1000),
    /** How much per-GPU sample history is kept. */
    historyS: z.number().int().min(10).max(86_400).default(3600),
    /** The one-click power limits offered for all GPUs. */
    presetsW: z.array(watts).default([250, 300, 350]),
  })
  .strict();

/** All of the model's GPUs (300), or per GPU index ({ "0": 300, "1": 280 }). */
const powerLimitW = z.union([watts, z.record(z.string().regex(/^\d+$/, 'keys are GPU indexes (0, 1, …)'), watts)]);

const samplingValue = z.union([z.number(), z.string(), z.boolean(), z.array(z.union([z.number(), z.string()]))]);

export const modelEntrySchema = z
  .object({
    id: modelId,
    label: z.string().min(1).optional(),
    aliases: z.array(modelId).default([]),
    modelPath: z.string().min(1).optional(),
    script: z.string().min(1).optional(),
    /** Served elsewhere (always on, never switched): the OpenAI-compatible base URL, e.g. http://10.0.0.7:30000. */
    upstream: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional(),
    tp: z.number().int().min(1).max(64).default(1),
    contextLength: z.number().int().positive().optional(),
    quantization: z.enum(SGLANG_QUANTIZATIONS).optional(),
    memFractionStatic: z.number().gt(0).lt(1).optional(),
    torchCompile: z.boolean().default(false),
    /** Without it the model uses all GPUs. Models with the same set share one slot (server and port). */
    gpus: z.array(z.number().int().min(0).max(255)).optional(),
    /** The backend port of this model's slot; default: assigned from backend.portRange. */
    port: port.optional(),
    /** Never evicted by a request for another model (a manual switch still may). */
    pinned: z.boolean().default(false),
    /**
     * How the engine makes room when another model needs these GPUs: `cold` (default) stops the server;
     * `warm` launches it with `--enable-memory-saver --enable-weights-cpu-backup` and puts it to sleep
     * instead (GPU memory released, weights kept in host RAM, process and port kept), so coming back
     * takes seconds. A warm model runs in a slot of its own (its own port).
     */
    switchMode: z.enum(['cold', 'warm']).optional(),
    /** Stop the model after this many seconds without requests; 0 = never. Default: the catalog's idleUnloadS. */
    idleUnloadS: z.number().int().min(0).optional(),
    /**
     * At most this many requests at once on this model (router requests, counted from when the
     * router takes them until their answer ends, including the wait for a load); absent = no limit.
     * Requests beyond it wait in a queue of at most `maxQueued`; past that the router answers 429.
     */
    maxConcurrent: z.number().int().min(1).max(100_000).optional(),
    /** With maxConcurrent: how many more requests may wait for a free place (FIFO); default 16 (DEFAULT_MAX_QUEUED); 0 = none wait. */
    maxQueued: z.number().int().min(0).max(100_000).optional(),
    /** This model's no-progress limits (seconds, or per phase); default: backend.stallTimeoutS, then the built-in ones. */
    stallTimeoutS: stallTimeoutSchema.optional(),
    /** Applied (and confirmed) before the model launches. */
    powerLimitW: powerLimitW.optional(),
    extraArgs: z.array(z.string()).default([]),
    env: envMap.default({}),
    sampling: z.record(z.string(), samplingValue).default({}),
  })
  .strict()
  .superRefine((m, ctx) => {
    const kinds = (['modelPath', 'script', 'upstream'] as const).filter((k) => m[k] !== undefined);
    if (kinds.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs modelPath (launch settings), script (legacy start script) or upstream (served elsewhere)', path: ['modelPath'] });
    }
    if (kinds.length > 1) {
      ctx.addIssue({ code: 'custom', message: `give only one of modelPath, script and upstream (found ${kinds.join(' and ')})`, path: [kinds[1]!] });
    }
  });

export const metricsSettingsSchema = z
  .object({
    /** true: GET /metrics answers without an admin key (Host and Origin checks still apply). */
    public: z.boolean().default(false),
    /**
     * Scrape keys: `Authorization: Bearer <key>` reads /metrics and nothing else (a Prometheus config
     * holds one of these instead of an admin key). Never an admin or inference key.
     */
    keys: z.array(z.string().min(MIN_ADMIN_KEY_CHARS, `metrics keys need at least ${MIN_ADMIN_KEY_CHARS} characters (e.g. openssl rand -hex 32)`)).default([]),
  })
  .strict();

export const catalogSchema = z
  .object({
    router: routerSettingsSchema.default(routerSettingsSchema.parse({})),
    backend: backendSettingsSchema.default(backendSettingsSchema.parse({})),
    sglang: sglangSettingsSchema.default(sglangSettingsSchema.parse({})),
    gpu: gpuSettingsSchema.default(gpuSettingsSchema.parse({})),
    /** GET /metrics (Prometheus): an admin key or one of `metrics.keys`, unless `public`. */
    metrics: metricsSettingsSchema.default(metricsSettingsSchema.parse({})),
    models: z.array(modelEntrySchema).default([]),
    /** Models (ids or aliases) loaded when the engine starts, in order; their GPU sets must not overlap. */
    preload: z.array(modelId).default([]),
    /** The model (id or alias) the engine comes back to; no pinned model may share its GPUs. */
    defaultModel: modelId.optional(),
    /** Stop a model after this many seconds without requests; 0 = never. A model's own idleUnloadS wins. */
    idleUnloadS: z.number().int().min(0).default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    // A scrape key reads /metrics only: one that is also an admin or inference key would be more than that.
    const other = new Set([...c.router.adminKeys, ...c.router.apiKeys]);
    c.metrics.keys.forEach((key, i) => {
      if (other.has(key)) ctx.addIssue({ code: 'custom', path: ['metrics', 'keys', i], message: 'the same key is in router.adminKeys or router.apiKeys: a metrics key must open /metrics only' });
    });
  });

/** A validated catalog, defaults filled. */
export type Catalog = z.infer<typeof catalogSchema>;
/** One model entry of the catalog, defaults filled. */
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type RouterSettings = z.infer<typeof routerSettingsSchema>;
export type BackendSettings = z.infer<typeof backendSettingsSchema>;
export type SglangSettings = z.infer<typeof sglangSettingsSchema>;
export type GpuSettings = z.infer<typeof gpuSettingsSchema>;
export type MetricsSettings = z.infer<typeof metricsSettingsSchema>;
/** A catalog as written by a person (before defaults). */
export type CatalogInput = z.input<typeof catalogSchema>;
/** How the router shows load progress: visible text, the thinking box, SSE comments or nothing. */
export type LoadingMessageStyle = (typeof LOADING_MESSAGE_STYLES)[number];
/** One model entry as written by a person (before defaults). */
export type ModelEntryInput = z.input<typeof modelEntrySchema>;

/** One problem found in a catalog file: where it is and what is wrong. */
export interface CatalogIssue {
  /** 'error' stops the file from loading or being saved; 'warning' does not. */
  severity: 'error' | 'warning';
  /** Dotted path of the field, e.g. "models[2].tp". */
  field: string;
  /** 1-based line and column in the YAML file, when known. */
  line?: number;
  column?: number;
  message: string;
}
