// The simulator's knobs, all read from environment variables (see README.md).

export const FAIL_MODES = [
  'oom-weights',
  'oom-graphs',
  'not-enough-memory',
  'never-ready',
  'warmup-fail',
  'crash-mid-stream',
  'hang-rendezvous',
  'hang-compile',
  'oom-resume',
  'lose-cpu-backup',
] as const;
export type FailMode = (typeof FAIL_MODES)[number];

/**
 * Which SGLang release's info-route names to serve (SGLANG_SIM_INFO_ROUTES). `0.5.3.post1` (the default,
 * the release the simulator imitates) has only `/get_model_info`, `/get_server_info`, `/get_weight_version`;
 * `0.5.6` has `/model_info`, `/server_info`, `/weight_version` as well, the `/get_*` names staying as
 * deprecated aliases (same JSON, a warning logged per call). See README.md, "Info route names".
 */
export const INFO_ROUTE_RELEASES = ['0.5.3.post1', '0.5.6'] as const;
export type InfoRouteRelease = (typeof INFO_ROUTE_RELEASES)[number];

export interface SimEnv {
  /** Multiplies every simulated duration (load phases, warmup, /health latency, drain poll). */
  timeScale: number;
  /** Decode speed per running request; 0 = no per-token sleep. Not scaled by timeScale. */
  tokensPerS: number;
  /** Total memory of each simulated GPU, as nvidia-smi reports it. */
  gpuMemMiB: number;
  /** Number of GPUs visible to the process (CUDA_VISIBLE_DEVICES wins over SGLANG_SIM_GPU_COUNT). */
  gpuCount: number;
  cudaVisibleDevices: string | undefined;
  fails: ReadonlySet<FailMode>;
  infoRoutes: InfoRouteRelease;
  launchLogPath: string | undefined;
  allowLongerContext: boolean;
  forceShutdown: boolean;
  /**
   * SGLANG_HEALTH_CHECK_TIMEOUT as SGLang reads it (`int(os.getenv(..., 20))` at import): a number, or the raw
   * text when int() would raise. Simulated seconds (scaled like every other duration), see README.md.
   */
  healthCheckTimeout: number | { invalid: string };
  /** FAKE_NVIDIA_SMI_STATE: when set, the simulator registers the GPU memory it holds next to it (README.md). */
  nvidiaSmiStatePath: string | undefined;
}

function readNumber(raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  return Number.isFinite(value) && value >= min ? value : fallback;
}

function readFails(raw: string | undefined): Set<FailMode> {
  const fails = new Set<FailMode>();
  for (const part of (raw ?? '').split(',')) {
    const name = part.trim();
    if ((FAIL_MODES as readonly string[]).includes(name)) fails.add(name as FailMode);
    else if (name !== '') process.stderr.write(`sglang-sim: ignoring unknown SGLANG_SIM_FAIL mode '${name}'\n`);
  }
  return fails;
}

function readInfoRoutes(raw: string | undefined): InfoRouteRelease {
  const name = (raw ?? '').trim();
  if ((INFO_ROUTE_RELEASES as readonly string[]).includes(name)) return name as InfoRouteRelease;
  if (name !== '') process.stderr.write(`sglang-sim: ignoring unknown SGLANG_SIM_INFO_ROUTES '${name}'\n`);
  return '0.5.3.post1';
}

/** Python's int() of a str: optional sign, digits with single underscores, surrounding whitespace. */
function readPythonInt(raw: string | undefined, fallback: number): number | { invalid: string } {
  if (raw === undefined) return fallback;
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(raw)) return { invalid: raw };
  return Number(raw.trim().replace(/_/g, ''));
}

function countVisibleGpus(env: NodeJS.ProcessEnv): number {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) return visible.split(',').filter((id) => id.trim() !== '').length;
  return Math.floor(readNumber(env.SGLANG_SIM_GPU_COUNT, 8, 0));
}

export function readSimEnv(env: NodeJS.ProcessEnv): SimEnv {
  return {
    timeScale: readNumber(env.SGLANG_SIM_TIME_SCALE, 1, 0),
    tokensPerS: readNumber(env.SGLANG_SIM_TOKENS_PER_S, 50, 0),
    gpuMemMiB: readNumber(env.SGLANG_SIM_GPU_MEM_MIB, 24576, 1024),
    gpuCount: countVisibleGpus(env),
    cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES,
    fails: readFails(env.SGLANG_SIM_FAIL),
    infoRoutes: readInfoRoutes(env.SGLANG_SIM_INFO_ROUTES),
    launchLogPath: env.SGLANG_SIM_LAUNCH_LOG || undefined,
    allowLongerContext: ['1', 'true'].includes((env.SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN ?? '').toLowerCase()),
    forceShutdown: ['1', 'true'].includes((env.SGL_FORCE_SHUTDOWN ?? '').toLowerCase()),
    healthCheckTimeout: readPythonInt(env.SGLANG_HEALTH_CHECK_TIMEOUT, 20),
    nvidiaSmiStatePath: env.FAKE_NVIDIA_SMI_STATE || undefined,
  };
}

/** Sleeps `simSeconds` of simulated time, i.e. simSeconds × timeScale of wall time. */
export function sleepSim(env: SimEnv, simSeconds: number): Promise<void> {
  return sleepMs(simSeconds * env.timeScale * 1000);
}

/** Real milliseconds (0 or less: the next turn of the event loop). */
export function sleepMs(ms: number): Promise<void> {
  if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
