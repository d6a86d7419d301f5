import type { RawData, WebSocket } from 'ws';
import type { ApiError } from '../../../shared/engine-state.js';
import { API_PROTOCOL_VERSION, type ApiEvent, type ApiEventType, type ApiHandlers, type ApiServerMessage } from '../../../shared/switchboard-api.js';
import type { Engine } from '../engine-api.js';
import { dispatchApiCall } from './dispatch-api-call.js';
import type { SseDelivery } from './sse-stream.js';

/**
 * What a slow client gets of each event type (the SSE policy; see sse-stream.ts): 'latest' keeps
 * only the newest of its type, 'droppable' is dropped, 'always' is kept. Unlike SSE, coalescing is
 * per type here, so a GPU tick never displaces a state snapshot and can be 'latest' too.
 */
const DELIVERY: Record<ApiEventType, SseDelivery> = {
  state: 'latest',
  log: 'droppable',
  load: 'always',
  'gpu.sample': 'latest',
  throughput: 'droppable',
  bench: 'always',
  catalog: 'always',
  swap: 'always',
};

export interface WebSocketConnectionOptions {
  /** Above this many bytes buffered for the client, events are coalesced or dropped (see DELIVERY). */
  highWaterBytes: number;
  /** Frames larger than this get an `error` reply instead of a dispatch. */
  maxFrameBytes: number;
  /** Calls running at once per connection; more get `unavailable`. */
  maxCallsInFlight: number;
}

/**
 * Serves one open WebSocket: `hello`, then an `events` batch with the current state, then every
 * engine event in order, batched once per tick. Calls go through dispatchApiCall and are answered
 * by id; a malformed frame gets an `error` reply (id 0 when unreadable) and the connection stays.
 */
export function serveWebSocketConnection(ws: WebSocket, engine: Engine, handlers: ApiHandlers, opts: WebSocketConnectionOptions): void {
  const outbox = createEventOutbox(ws, opts.highWaterBytes);
  let callsInFlight = 0;
  const reply = (message: ApiServerMessage): void => {
    if (ws.readyState !== ws.OPEN) return;
    // Events that happened before the answer go first, so a reply never overtakes its own effects.
    outbox.flushNow();
    outbox.send(message);
  };

  outbox.send({ type: 'hello', protocol: API_PROTOCOL_VERSION, version: engine.state().version });
  // Snapshot and subscribe in the same tick so no event falls between them.
  outbox.send({ type: 'events', events: [{ type: 'state', state: engine.state() }] });
  const unsubscribe = engine.subscribe((event) => outbox.push(event));

  ws.on('message', (data, isBinary) => {
    const frame = parseCallFrame(data, isBinary, opts.maxFrameBytes);
    if (!frame.ok) return reply({ type: 'error', id: frame.id, error: frame.error });
    if (callsInFlight >= opts.maxCallsInFlight) {
      return reply({ type: 'error', id: frame.id, error: { code: 'unavailable', message: `more than ${opts.maxCallsInFlight} calls at once on one connection` } });
    }
    callsInFlight += 1;
    void dispatchApiCall(handlers, frame.method, frame.params).then((outcome) => {
      callsInFlight -= 1;
      reply(outcome.ok ? { type: 'result', id: frame.id, result: outcome.result } : { type: 'error', id: frame.id, error: outcome.error });
    });
  });
  // 'error' (a protocol violation, a reset) is always followed by 'close'.
  ws.on('error', () => undefined);
  ws.on('close', () => {
    unsubscribe();
    outbox.stop();
  });
}

interface EventOutbox {
  push(event: ApiEvent): void;
  /** Sends the queued events now unless the client is congested. */
  flushNow(): void;
  /** Sends one message as is (replies, hello). */
  send(message: ApiServerMessage): void;
  stop(): void;
}

/**
 * Queues events and sends them as one `events` message per tick. While more than `highWaterBytes`
 * wait in the socket, nothing is flushed and the queue is compacted by DELIVERY, so memory per slow
 * client is bounded by one event per 'latest' type plus the 'always' events of the stall. Every
 * send has a write callback, and the one that finds the buffer low again resumes flushing.
 */
function createEventOutbox(ws: WebSocket, highWaterBytes: number): EventOutbox {
  let queue: ApiEvent[] = [];
  let tick: NodeJS.Immediate | undefined;
  let stopped = false;
  const isCongested = (): boolean => ws.bufferedAmount > highWaterBytes;

  const send = (message: ApiServerMessage): void => {
    if (stopped || ws.readyState !== ws.OPEN) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (err) {
      const id = message.type === 'result' ? message.id : 0;
      text = JSON.stringify({ type: 'error', id, error: { code: 'internal', message: `a ${message.type} message cannot be sent as JSON: ${String(err)}` } });
    }
    ws.send(text, afterWrite);
  };
  const afterWrite = (err?: Error): void => {
    if (!err && queue.length > 0 && !isCongested()) schedule();
  };
  const flushNow = (): void => {
    if (tick) clearImmediate(tick);
    tick = undefined;
    if (stopped || queue.length === 0) return;
    if (isCongested()) {
      queue = compact(queue);
      return;
    }
    const events = queue;
    queue = [];
    send({ type: 'events', events });
  };
  const schedule = (): void => {
    if (!tick && !stopped) tick = setImmediate(flushNow);
  };

  return {
    push(event) {
      if (stopped) return;
      if (isCongested()) {
        const delivery = DELIVERY[event.type];
        if (delivery === 'droppable') return;
        if (delivery === 'latest') queue = queue.filter((queued) => queued.type !== event.type);
      }
      queue.push(event);
      schedule();
    },
    flushNow,
    send,
    stop() {
      stopped = true;
      if (tick) clearImmediate(tick);
      tick = undefined;
      queue = [];
    },
  };
}

/** The queue as a congested client gets it: no droppable events, only the newest of each 'latest' type. */
function compact(queue: ApiEvent[]): ApiEvent[] {
  const newestIndex = new Map<ApiEventType, number>();
  queue.forEach((event, index) => newestIndex.set(event.type, index));
  return queue.filter((event, index) => {
    const delivery = DELIVERY[event.type];
    return delivery === 'always' || (delivery === 'latest' && newestIndex.get(event.type) === index);
  });
}

type ParsedFrame = { ok: true; id: number; method: unknown; params: unknown } | { ok: false; id: number; error: ApiError };

/** Reads one client frame as `{ type: 'call', id, method, params }`; the method and params are checked by dispatch. */
function parseCallFrame(data: RawData, isBinary: boolean, maxFrameBytes: number): ParsedFrame {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  const bad = (message: string, id = 0): ParsedFrame => ({ ok: false, id, error: { code: 'bad_request', message } });
  if (bytes.byteLength > maxFrameBytes) {
    return bad(`frame of ${bytes.byteLength} bytes is over the limit of ${maxFrameBytes}`, peekId(bytes));
  }
  if (isBinary) return bad('binary frames are not accepted; send a JSON text frame', peekId(bytes));
  let frame: unknown;
  try {
    frame = JSON.parse(bytes.toString('utf8'));
  } catch {
    return bad('frame is not JSON; expected {"type":"call","id":<n>,"method":"…","params":{…}}');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return bad('frame must be a JSON object');
  const { type, id, method, params } = frame as Record<string, unknown>;
  const validId = typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : 0;
  if (type !== 'call') return bad(`unknown frame type ${JSON.stringify(type)}; expected "call"`, validId);
  if (validId === 0) return bad('"id" must be a positive whole number');
  if (typeof method !== 'string') return bad('"method" must be a string', validId);
  return { ok: true, id: validId, method, params };
}

/** The call id at the start of a frame too large or odd to parse, or 0. */
function peekId(bytes: Buffer): number {
  const match = /"id"\s*:\s*(\d{1,15})\b/.exec(bytes.subarray(0, 256).toString('latin1'));
  return match ? Number(match[1]) : 0;
}
