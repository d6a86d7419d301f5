import { listGroupMembers } from '../../system/process-group.js';
import type { BackendInstance } from '../backends/process-backend.js';
import { checkGeneration, releaseMemory, resumeMemory } from '../backends/sglang-memory.js';
import type { SlotSleeper } from './slot-switcher.js';

export interface WarmSleeperOptions {
  /** backend.host: where the servers listen. */
  host(): string;
  /** Bound of every call (backend.sleepTimeoutS). */
  timeoutMs(): number;
  /** GPU memory per process (nvidia-smi's compute apps), or null when nvidia-smi cannot say. */
  processMemory(): Promise<Map<number, number | null> | null>;
}

/** After a release a server must hold at most this share of its GPU memory, or it did not really release. */
const MAX_SHARE_AFTER_RELEASE = 0.6;

/**
 * Puts warm models' servers to sleep and wakes them (docs/sglang-memory-occupation.md): before the
 * release it records the answer to a fixed greedy generation, releases weights and KV cache, and —
 * where nvidia-smi lists the server's processes — checks that their GPU memory dropped; on waking it
 * resumes and checks the same generation gives the same answer (`/health_generate` cannot see weights
 * that came back as garbage). Every call is bounded by the sleep timeout. Each step throws when it did
 * not go to plan; the slot then stops the server (and loads it cold when it was waking it).
 */
export class WarmSleeper implements SlotSleeper {
  private readonly expected = new WeakMap<BackendInstance, string>();
  /** Servers that have released their weights once: torch_memory_saver keeps their pinned host copy for good. */
  private readonly backedUp = new WeakSet<BackendInstance>();

  constructor(private readonly opts: WarmSleeperOptions) {}

  async sleep(instance: BackendInstance, _modelId: string, port: number): Promise<void> {
    const host = this.opts.host();
    const timeoutMs = this.opts.timeoutMs();
    const answer = await checkGeneration(host, port, timeoutMs);
    const before = await this.gpuMemoryOf(instance);
    await releaseMemory(host, port, timeoutMs);
    this.backedUp.add(instance);
    this.expected.set(instance, answer);
    const after = await this.gpuMemoryOf(instance);
    if (before !== null && after !== null && after > before * MAX_SHARE_AFTER_RELEASE) {
      throw new Error(`its GPU memory did not drop (${before} MiB before the release, ${after} MiB after)`);
    }
  }

  async wake(instance: BackendInstance, _modelId: string, port: number): Promise<void> {
    const expected = this.expected.get(instance);
    // Resuming what was never released kills an SGLang server: never resume without a recorded sleep.
    if (expected === undefined) throw new Error('this server was not put to sleep by this engine');
    const host = this.opts.host();
    const timeoutMs = this.opts.timeoutMs();
    this.expected.delete(instance);
    await resumeMemory(host, port, timeoutMs);
    const answer = await checkGeneration(host, port, timeoutMs);
    if (answer !== expected) throw new Error(`it answers differently after waking (${JSON.stringify(clip(answer))} instead of ${JSON.stringify(clip(expected))}: its weights did not come back)`);
  }

  /** True when the server already holds its weights' copy in host RAM, so another sleep costs no more RAM. */
  hasHostCopy(instance: BackendInstance | undefined): boolean {
    return instance !== undefined && this.backedUp.has(instance);
  }

  /** MiB the server's processes hold on the GPUs, or null when nvidia-smi lists none of them (or cannot say). */
  private async gpuMemoryOf(instance: BackendInstance): Promise<number | null> {
    if (instance.pid === undefined) return null;
    const byPid = await this.opts.processMemory();
    if (!byPid) return null;
    // Its process group: a TP server's ranks (the processes nvidia-smi lists) are its children.
    const pids = new Set([instance.pid, ...listGroupMembers(instance.pid)]);
    let total = 0;
    let listed = false;
    for (const pid of pids) {
      if (!byPid.has(pid)) continue;
      const mib = byPid.get(pid);
      if (mib === null || mib === undefined) return null;
      listed = true;
      total += mib;
    }
    return listed ? total : null;
  }
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
