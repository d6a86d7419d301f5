import type { ServerResponse } from 'node:http';
import type { EngineEvent } from '../../../shared/engine-state.js';
import type { Engine } from '../engine-api.js';
import { openSseStream, type SseDelivery } from './sse-stream.js';

const DELIVERY: Record<EngineEvent['type'], SseDelivery> = {
  state: 'latest',
  log: 'droppable',
  load: 'always',
  // Not 'latest': the stream keeps one latest event of any name, and a tick must not displace a state.
  'gpu.sample': 'droppable',
  throughput: 'droppable',
  bench: 'always',
  catalog: 'always',
  swap: 'always',
};

/**
 * `GET /api/events` — SSE. First `event: state` with the current EngineState, then each engine
 * event as `event: <type>` whose `data` is its payload: EngineState, LogLine, LoadRecord,
 * `{ samples, host }`, ThroughputSample, BenchResult or `{ revision }`.
 */
export function handleEvents(engine: Engine, res: ServerResponse, keepaliveMs: number): void {
  const stream = openSseStream(res, keepaliveMs);
  // Snapshot and subscribe in the same tick so no event falls between them.
  stream.send('state', engine.state(), 'always');
  const unsubscribe = engine.subscribe((event) => stream.send(event.type, payloadOf(event), DELIVERY[event.type]));
  stream.onClose(unsubscribe);
}

function payloadOf(event: EngineEvent): unknown {
  switch (event.type) {
    case 'state':
      return event.state;
    case 'log':
      return event.line;
    case 'load':
      return event.record;
    case 'gpu.sample':
      return { samples: event.samples, host: event.host };
    case 'throughput':
      return event.sample;
    case 'bench':
      return event.result;
    case 'swap':
      return event.record;
    case 'catalog':
      return { revision: event.revision };
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}
