import type { ThroughputSample } from '../../../shared/throughput.js';
import { SampleRing } from '../gpu/sample-ring.js';

/** Throughput samples kept per model (1 h of decode lines at SGLang's default interval is ~4000). */
const DEFAULT_CAPACITY = 4096;

/** Bounded per-model rings of throughput samples. */
export class ThroughputLog {
  private readonly rings = new Map<string, SampleRing<ThroughputSample>>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  record(sample: ThroughputSample): void {
    let ring = this.rings.get(sample.modelId);
    if (!ring) this.rings.set(sample.modelId, (ring = new SampleRing<ThroughputSample>(this.capacity)));
    ring.push(sample);
  }

  /** One model's samples oldest first; those at or after `sinceMs` when given. */
  samples(modelId: string, sinceMs?: number): ThroughputSample[] {
    return this.rings.get(modelId)?.toArray(sinceMs) ?? [];
  }
}
