import type { BackendExit, BackendInstance, BackendLaunch, BackendOutputListener, ProcessBackend } from '../process-backend.js';

/**
 * A backend created on first use: a template unit's instance (`sglang@gpu0-1.service`) gets its
 * unit control — which may talk to the helper — only when its slot first launches a model.
 */
export class LazySystemdBackend implements ProcessBackend {
  private backend: ProcessBackend | undefined;
  private creating: Promise<ProcessBackend> | undefined;

  constructor(private readonly create: () => Promise<ProcessBackend>) {}

  async start(launch: BackendLaunch, onOutput: BackendOutputListener): Promise<BackendInstance> {
    return (await this.get()).start(launch, onOutput);
  }

  async stop(instance: BackendInstance, timeoutMs: number): Promise<BackendExit> {
    return (await this.get()).stop(instance, timeoutMs);
  }

  ownsProcess(pid: number): boolean {
    return this.backend?.ownsProcess?.(pid) ?? false;
  }

  private get(): Promise<ProcessBackend> {
    this.creating ??= this.create().then((backend) => (this.backend = backend));
    return this.creating;
  }
}
