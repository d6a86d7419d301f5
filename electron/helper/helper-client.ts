import { connect, type Socket } from 'node:net';
import type { z } from 'zod';
import {
  HELPER_PROTOCOL_VERSION,
  helperResponseSchema,
  helperStatusSchema,
  powerLimitChangeSchema,
  type HelperErrorCode,
  type HelperOp,
  type HelperRequestOf,
  type HelperResults,
  type HelperStatus,
} from '../../shared/helper-protocol.js';
import { EngineError } from '../../shared/engine-error.js';
import type { ApiError } from '../../shared/engine-state.js';
import { templateOfUnit } from '../system/systemd/slot-instance-unit.js';
import type { UnitControl, UnitState } from '../system/systemd/unit-control.js';

/** A request as a caller writes it: the envelope (`v`, `id`) is added by `helperRequest`. */
export type HelperRequestBody<Op extends HelperOp> = { op: Op } & Omit<HelperRequestOf<Op>, 'v' | 'id' | 'op'>;

/** Why a helper request failed: the helper's own code, or a transport failure seen by the client (`timeout` is both: the helper's, or no answer in time). */
export type HelperClientErrorCode = HelperErrorCode | 'unreachable' | 'denied' | 'protocol';

/** A failed helper request. `code` is the helper's code when it answered. */
export class HelperRequestError extends Error {
  override readonly name = 'HelperRequestError';
  constructor(
    readonly code: HelperClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Retries of a connect() refused with EAGAIN start this soon and back off to at most MAX_RETRY_DELAY_MS. */
const FIRST_RETRY_DELAY_MS = 5;
const MAX_RETRY_DELAY_MS = 250;
const RESULT_SCHEMAS: Partial<Record<HelperOp, z.ZodType>> = { status: helperStatusSchema, setPowerLimit: powerLimitChangeSchema };
let nextId = 1;

/**
 * Sends one request on its own connection and resolves to its result; rejects with a
 * `HelperRequestError`. `timeoutMs` bounds the whole exchange, connecting included (unit
 * operations wait for systemd). A connect() refused with EAGAIN — the helper's listen queue is
 * full, as under a flood of connections from another client — is retried with backoff until then.
 */
export function helperRequest<Op extends HelperOp>(socketPath: string, body: HelperRequestBody<Op>, opts: { timeoutMs?: number } = {}): Promise<HelperResults[Op]> {
  const id = nextId++;
  const line = `${JSON.stringify({ v: HELPER_PROTOCOL_VERSION, id, ...body })}\n`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let socket: Socket | null = null;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      outcome();
    };
    const fail = (err: HelperRequestError) => settle(() => reject(err));
    const timer = setTimeout(() => fail(new HelperRequestError('timeout', `the helper did not answer ${body.op} within ${timeoutMs} ms`)), timeoutMs);
    const connected = (s: Socket) => {
      let received = '';
      s.on('error', (err: NodeJS.ErrnoException) => fail(connectError(socketPath, err)));
      s.on('end', () => fail(new HelperRequestError('protocol', 'the helper closed the connection without answering')));
      s.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        const nl = received.indexOf('\n');
        if (nl === -1 && received.length <= MAX_RESPONSE_BYTES) return;
        settle(() => {
          try {
            resolve(readResponse(body.op, id, received.slice(0, nl === -1 ? undefined : nl)) as HelperResults[Op]);
          } catch (err) {
            reject(err);
          }
        });
      });
      s.write(line);
    };
    connectRetrying(
      socketPath,
      () => settled,
      (s) => (socket = s),
    ).then(connected, (err: NodeJS.ErrnoException) => fail(connectError(socketPath, err)));
  });
}

/** connect(), retried with backoff while the listen queue is full (EAGAIN); stops trying once `cancelled()`. */
function connectRetrying(socketPath: string, cancelled: () => boolean, onSocket: (socket: Socket) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const attempt = (delayMs: number) => {
      if (cancelled()) return;
      const socket = connect(socketPath);
      onSocket(socket);
      const onError = (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EAGAIN') return reject(err);
        socket.destroy();
        setTimeout(() => attempt(Math.min(delayMs * 2, MAX_RETRY_DELAY_MS)), delayMs);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(socket);
      });
    };
    attempt(FIRST_RETRY_DELAY_MS);
  });
}

/** UnitControl over the helper's socket, for an engine that is not root and manages a system unit. */
export class HelperUnitControl implements UnitControl {
  readonly unit: string;
  private readonly socketPath: string;
  private readonly timeoutMs: number | undefined;

  constructor(opts: { socketPath: string; unit: string; timeoutMs?: number }) {
    this.unit = opts.unit;
    this.socketPath = opts.socketPath;
    this.timeoutMs = opts.timeoutMs;
  }

  async selectModel(modelId: string): Promise<void> {
    await this.request({ op: 'selectModel', modelId, unit: this.unit });
  }
  async start(): Promise<void> {
    await this.request({ op: 'start', unit: this.unit });
  }
  async stop(): Promise<void> {
    await this.request({ op: 'stop', unit: this.unit });
  }
  async restart(): Promise<void> {
    await this.request({ op: 'restart', unit: this.unit });
  }
  async resetFailed(): Promise<void> {
    await this.request({ op: 'resetFailed', unit: this.unit });
  }

  async show(): Promise<UnitState> {
    // An instance is named, so a helper configured with its template shows it (not the template); a plain unit
    // is not, so a helper managing another unit answers and the mismatch below says so.
    const template = templateOfUnit(this.unit);
    const status = (await this.request({ op: 'status', ...(template ? { unit: this.unit } : {}) })) as HelperStatus;
    if (status.unit !== this.unit && status.unit !== template) {
      throw new EngineError('conflict', `the helper manages ${status.unit}, not ${this.unit}; make the helper's catalog and the engine's agree`);
    }
    if (!status.unitState) throw new EngineError('internal', status.unitError ?? `the helper could not read the state of ${this.unit}`);
    return status.unitState;
  }

  private async request<Op extends HelperOp>(body: HelperRequestBody<Op>): Promise<HelperResults[Op]> {
    try {
      return await helperRequest(this.socketPath, body, { timeoutMs: this.timeoutMs });
    } catch (err) {
      if (!(err instanceof HelperRequestError)) throw err;
      throw new EngineError(ENGINE_CODES[err.code], err.message, { helperCode: err.code });
    }
  }
}

const ENGINE_CODES: Record<HelperClientErrorCode, ApiError['code']> = {
  bad_request: 'bad_request',
  unknown_op: 'bad_request',
  too_large: 'bad_request',
  unsupported: 'bad_request',
  out_of_range: 'bad_request',
  unknown_model: 'unknown_model',
  not_found: 'not_found',
  forbidden_unit: 'unauthorized',
  denied: 'unauthorized',
  busy: 'unavailable',
  failed: 'load_failed',
  catalog_error: 'internal',
  internal: 'internal',
  unreachable: 'internal',
  timeout: 'internal',
  protocol: 'internal',
};

function readResponse(op: HelperOp, id: number, line: string): unknown {
  let response;
  try {
    response = helperResponseSchema.parse(JSON.parse(line));
  } catch {
    throw new HelperRequestError('protocol', `the helper's answer to ${op} is not a protocol ${HELPER_PROTOCOL_VERSION} response`);
  }
  if (!response.ok) throw new HelperRequestError(response.error.code, response.error.message);
  if (response.id !== id) throw new HelperRequestError('protocol', `the helper answered request ${String(response.id)}, expected ${id}`);
  const schema = RESULT_SCHEMAS[op];
  if (schema && !schema.safeParse(response.result).success) throw new HelperRequestError('protocol', `the helper's ${op} result has an unexpected shape`);
  return response.result;
}

function connectError(socketPath: string, err: NodeJS.ErrnoException): HelperRequestError {
  if (err.code === 'EACCES') {
    return new HelperRequestError('denied', `permission denied on ${socketPath}: only root and members of the helper's group (sglang-switchboard) may use the helper`);
  }
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
    return new HelperRequestError('unreachable', `the privileged helper is not running (no one listens on ${socketPath}); start sglang-switchboard-helper.service`);
  }
  return new HelperRequestError('unreachable', `cannot reach the helper on ${socketPath}: ${err.message}`);
}
