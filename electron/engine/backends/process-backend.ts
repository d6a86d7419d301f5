/** How one model instance is launched: argv (never a shell string), environment and the port it will serve on. */
export interface BackendLaunch {
  modelId: string;
  argv: string[];
  env: Record<string, string>;
  host: string;
  port: number;
}

/** How a backend process ended. */
export interface BackendExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running backend instance. */
export interface BackendInstance {
  /** Process id of the launched process (also its process group id for the child-process backend). */
  readonly pid: number | undefined;
  /** Resolves once the process and every process of its group have ended. */
  readonly exited: Promise<BackendExit>;
}

/** Receives the backend's output as it arrives (raw chunks; lines are split by the caller). */
export type BackendOutputListener = (stream: 'stdout' | 'stderr', chunk: string) => void;

/**
 * Starts and stops SGLang servers. Implemented by the child-process backend (embedded default)
 * and the systemd backend (backends/systemd/).
 */
export interface ProcessBackend {
  /** Launches one instance. Rejects when the launch itself fails (e.g. the command does not exist). */
  start(launch: BackendLaunch, onOutput: BackendOutputListener): Promise<BackendInstance>;
  /**
   * Stops an instance: SIGTERM, then SIGKILL after `timeoutMs`; resolves when nothing of it is left.
   * Safe to call on an instance that already exited.
   */
  stop(instance: BackendInstance, timeoutMs: number): Promise<BackendExit>;
  /**
   * True when `pid`, found holding the backend port before a start, belongs to what this backend
   * manages and start() will replace it (a systemd unit already running when the engine starts).
   */
  ownsProcess?(pid: number): boolean;
}
