import { API_EVENT_TYPES, type ApiEvent, type ApiEventType, type ApiMethodName, type ApiParams, type ApiResult, type ApiTransport, type ConnectionDetail } from '../../../shared/switchboard-api.js';

type EventOf<T extends ApiEventType> = Extract<ApiEvent, { type: T }>;
type Listener<T extends ApiEventType> = (event: EventOf<T>) => void;

/**
 * The renderer's one door to the engine: typed calls and per-type event listeners over whatever
 * transport it was given (IPC in Electron, the WebSocket in a browser). Stores use this, never a
 * transport directly, so tests can hand it an in-memory transport.
 */
export class ApiHub {
  private readonly listeners = new Map<ApiEventType, Set<(event: ApiEvent) => void>>();
  private unsubscribeTransport: (() => void) | undefined;

  constructor(readonly transport: ApiTransport) {
    for (const type of API_EVENT_TYPES) this.listeners.set(type, new Set());
    this.unsubscribeTransport = transport.subscribe((events) => {
      for (const event of events) for (const listener of this.listeners.get(event.type) ?? []) listener(event);
    });
  }

  call<M extends ApiMethodName>(method: M, ...params: keyof ApiParams<M> extends never ? [ApiParams<M>?] : [ApiParams<M>]): Promise<ApiResult<M>> {
    return this.transport.call(method, (params[0] ?? {}) as ApiParams<M>);
  }

  /** Listens to one event type; returns the unsubscribe function. */
  on<T extends ApiEventType>(type: T, listener: Listener<T>): () => void {
    const set = this.listeners.get(type)!;
    const wrapped = listener as (event: ApiEvent) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  onConnection(listener: (state: 'connecting' | 'open' | 'closed', detail?: ConnectionDetail) => void): () => void {
    if (!this.transport.onConnection) {
      listener('open');
      return () => undefined;
    }
    return this.transport.onConnection(listener);
  }

  /** Desktop app only (undefined elsewhere): start its engine process again. */
  get restartEngine(): (() => Promise<void>) | undefined {
    const transport = this.transport;
    return transport.restartEngine ? () => transport.restartEngine!() : undefined;
  }

  close(): void {
    this.unsubscribeTransport?.();
    this.unsubscribeTransport = undefined;
    this.transport.close?.();
  }
}

let current: ApiHub | undefined;

/** Installs the hub the app uses (main.tsx at start; tests with their own transport). */
export function setApiHub(hub: ApiHub): void {
  current?.close();
  current = hub;
}

export function apiHub(): ApiHub {
  if (!current) throw new Error('the engine connection is not set up yet (setApiHub was not called)');
  return current;
}
