import type { Socket } from 'node:net';
import { MAX_REQUEST_BYTES, errorResponse, okResponse, parseHelperRequestLine, type HelperResponse } from '../../shared/helper-protocol.js';
import { auditArgs, auditRaw, type AuditEntry, type AuditLog } from './audit-log.js';
import type { HelperDispatch } from './operations.js';
import type { PeerCredentials } from './peer-credentials.js';
import { runRequest } from './run-request.js';

/** What every connection shares. */
export interface ConnectionContext {
  dispatch: HelperDispatch;
  audit: AuditLog;
  lookupPeer: (socket: Socket) => Promise<PeerCredentials | null>;
  log: (line: string) => void;
}

/** Lines a connection may queue before we stop reading from it. */
const MAX_QUEUED_LINES = 32;
const IDLE_TIMEOUT_MS = 5 * 60_000;

/**
 * One client: newline-delimited requests answered one at a time, in order. A line over
 * MAX_REQUEST_BYTES is answered `too_large` and ends the connection; nothing else does.
 */
export class HelperConnection {
  private readonly peer: Promise<PeerCredentials | null>;
  private readonly lines: Buffer[] = [];
  private partial: Buffer = Buffer.alloc(0);
  private closing = false;
  private busy = false;
  private clientDone = false;

  constructor(private readonly socket: Socket, private readonly ctx: ConnectionContext) {
    // Looked up at once, while the client is surely still connected.
    this.peer = ctx.lookupPeer(socket).catch(() => null);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let partial = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk]);
    for (let nl = partial.indexOf(0x0a); nl !== -1; nl = partial.indexOf(0x0a)) {
      this.lines.push(partial.subarray(0, nl));
      partial = partial.subarray(nl + 1);
    }
    if (partial.length > MAX_REQUEST_BYTES) {
      this.lines.push(partial);
      partial = Buffer.alloc(0);
    }
    this.partial = partial;
    if (this.lines.length >= MAX_QUEUED_LINES) this.socket.pause();
    void this.drain();
  }

  /** The client shut down its sending side: answer what it sent (a last unterminated line too), then close. */
  private onEnd(): void {
    this.clientDone = true;
    if (this.partial.length > 0) this.lines.push(this.partial);
    this.partial = Buffer.alloc(0);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let line = this.lines.shift(); line !== undefined && !this.closing; line = this.lines.shift()) {
        await this.answer(line);
        if (this.lines.length < MAX_QUEUED_LINES && !this.closing) this.socket.resume();
      }
    } catch (err) {
      // Only a bug gets here; it costs this connection, never the server.
      this.ctx.log(`connection dropped: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.closing = true;
      this.socket.destroy();
    } finally {
      this.busy = false;
    }
    if (this.clientDone && this.lines.length === 0 && !this.socket.writableEnded) this.socket.end();
  }

  private async answer(bytes: Buffer): Promise<void> {
    if (bytes.length > MAX_REQUEST_BYTES) return this.refuseTooLarge(bytes);
    const text = bytes.toString('utf8');
    if (text.trim() === '') return;
    const parsed = parseHelperRequestLine(text);
    if (!parsed.ok) {
      await this.audit(null, auditRaw(text, bytes.length), { ok: false, error: parsed.error });
      return this.send(errorResponse(parsed.id, parsed.error.code, parsed.error.message));
    }
    const { request } = parsed;
    const outcome = await runRequest(this.ctx.dispatch, request, this.ctx.log);
    await this.audit(request.op, auditArgs(request), outcome.ok ? { ok: true } : { ok: false, error: outcome.error });
    this.send(outcome.ok ? okResponse(request.id, outcome.result) : errorResponse(request.id, outcome.error.code, outcome.error.message));
  }

  private async refuseTooLarge(bytes: Buffer): Promise<void> {
    this.closing = true;
    const error = { code: 'too_large', message: `request larger than ${MAX_REQUEST_BYTES} bytes; closing the connection` } as const;
    await this.audit(null, auditRaw(bytes.subarray(0, 512).toString('utf8'), bytes.length), { ok: false, error });
    this.socket.end(`${JSON.stringify(errorResponse(null, error.code, error.message))}\n`);
  }

  /** Appends the entry; a failing log is reported on stderr (the journal) and does not fail the request. */
  private async audit(op: string | null, args: Record<string, unknown>, outcome: AuditEntry['outcome']): Promise<void> {
    const entry: AuditEntry = { time: new Date().toISOString(), peer: await this.peer, op, args, outcome };
    try {
      await this.ctx.audit.append(entry);
    } catch (err) {
      this.ctx.log(`audit log ${this.ctx.audit.path}: ${err instanceof Error ? err.message : String(err)}; entry: ${JSON.stringify(entry)}`);
    }
  }

  private send(response: HelperResponse): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(`${JSON.stringify(response)}\n`);
  }
}
