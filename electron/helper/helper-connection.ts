import type { Socket } from 'node:net';
import { MAX_REQUEST_BYTES, errorResponse, okResponse, parseHelperRequestLine, type HelperErrorCode, type HelperResponse } from '../../shared/helper-protocol.js';
import type { OpenConnection } from './admit-connection.js';
import { auditArgs, auditRaw, type AuditEntry, type AuditLog } from './audit-log.js';
import type { HelperDispatch } from './operations.js';
import { readProcessComm, type PeerCredentials, type PeerIds } from './peer-credentials.js';
import { runRequest } from './run-request.js';

/** What every connection shares. */
export interface ConnectionContext {
  dispatch: HelperDispatch;
  audit: AuditLog;
  log: (line: string) => void;
  /** How long a connection may take to send a complete request line, and to read its answers. */
  lineTimeoutMs: number;
  /** A connection was closed for being too slow (`message` is what it was told). */
  onLineTimeout(peer: PeerIds | null, message: string): void;
}

/** Lines a connection may queue before we stop reading from it. */
const MAX_QUEUED_LINES = 32;

/**
 * One client: newline-delimited requests answered one at a time, in order. A line over
 * MAX_REQUEST_BYTES is answered `too_large` and ends the connection. While it waits for the client
 * — for a complete request line, or for it to read answers — a deadline runs (`lineTimeoutMs`, not
 * reset by partial data, so dribbling bytes does not keep it open); when it passes, the connection
 * is answered `timeout` and closed. No deadline runs while a request is being answered (systemd
 * may take minutes).
 */
export class HelperConnection implements OpenConnection {
  private readonly lines: Buffer[] = [];
  private partial: Buffer = Buffer.alloc(0);
  private closing = false;
  private answering = false;
  private clientDone = false;
  private waitingForReader = false;
  private deadline: NodeJS.Timeout | null = null;
  private auditPeer: Promise<PeerCredentials | null> | null = null;

  constructor(
    private readonly socket: Socket,
    /** SO_PEERCRED at accept (null when unreadable). */
    readonly peer: PeerIds | null,
    readonly seq: number,
    private readonly ctx: ConnectionContext,
    onClose: () => void,
  ) {
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => {
      this.disarm();
      onClose();
    });
    this.arm();
  }

  /** Waiting for the client to send a request: closing it now loses no request. */
  get idle(): boolean {
    return !this.closing && !this.answering && this.lines.length === 0;
  }

  /** Closes the connection to make room for another peer, telling the client why (`busy`). */
  evict(message: string): void {
    this.closeWith('busy', message);
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let partial = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk]);
    const queued = this.lines.length;
    for (let nl = partial.indexOf(0x0a); nl !== -1; nl = partial.indexOf(0x0a)) {
      this.lines.push(partial.subarray(0, nl));
      partial = partial.subarray(nl + 1);
    }
    if (partial.length > MAX_REQUEST_BYTES) {
      this.lines.push(partial);
      partial = Buffer.alloc(0);
    }
    this.partial = partial;
    if (this.lines.length > queued) this.disarm();
    if (this.lines.length >= MAX_QUEUED_LINES) this.socket.pause();
    void this.drain();
  }

  /** The client shut down its sending side: answer what it sent (a last unterminated line too), then close. */
  private onEnd(): void {
    this.clientDone = true;
    this.disarm();
    if (this.partial.length > 0) this.lines.push(this.partial);
    this.partial = Buffer.alloc(0);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.answering) return;
    this.answering = true;
    try {
      for (let line = this.lines.shift(); line !== undefined && !this.closing; line = this.lines.shift()) {
        await this.answer(line);
        await this.readerCaughtUp();
        if (this.lines.length < MAX_QUEUED_LINES && !this.closing) this.socket.resume();
      }
    } catch (err) {
      // Only a bug gets here; it costs this connection, never the server.
      this.ctx.log(`connection dropped: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.closing = true;
      this.socket.destroy();
    } finally {
      this.answering = false;
    }
    if (this.closing) return;
    if (this.clientDone && this.lines.length === 0) {
      if (!this.socket.writableEnded) this.socket.end();
    } else if (this.lines.length === 0) {
      this.arm(); // a fresh deadline for the next request line
    }
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
    this.closeWith(error.code, error.message);
  }

  /** Appends the entry; a failing log is reported on stderr (the journal) and does not fail the request. */
  private async audit(op: string | null, args: Record<string, unknown>, outcome: AuditEntry['outcome']): Promise<void> {
    // The command name is read once, when the connection is first audited: a connect-and-close flood costs no /proc read.
    this.auditPeer ??= this.peer ? readProcessComm(this.peer.pid).then((comm) => ({ ...this.peer!, comm })) : Promise.resolve(null);
    const entry: AuditEntry = { time: new Date().toISOString(), peer: await this.auditPeer, op, args, outcome };
    try {
      await this.ctx.audit.append(entry);
    } catch (err) {
      this.ctx.log(`audit log ${this.ctx.audit.path}: ${err instanceof Error ? err.message : String(err)}; entry: ${JSON.stringify(entry)}`);
    }
  }

  private send(response: HelperResponse): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(`${JSON.stringify(response)}\n`);
  }

  /** A client that does not read its answers makes us stop answering it, within the deadline. */
  private async readerCaughtUp(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return;
    this.waitingForReader = true;
    this.arm();
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    this.waitingForReader = false;
    this.disarm();
  }

  private arm(): void {
    if (this.deadline || this.closing) return;
    this.deadline = setTimeout(() => this.onDeadline(), this.ctx.lineTimeoutMs);
    this.deadline.unref();
  }

  private disarm(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
  }

  private onDeadline(): void {
    this.deadline = null;
    if (this.closing) return;
    const seconds = this.ctx.lineTimeoutMs / 1000;
    if (this.waitingForReader) {
      this.closing = true;
      this.ctx.onLineTimeout(this.peer, `answers not read within ${seconds} s`);
      this.socket.destroy(); // it does not read: a last line would only wait in the buffer
      return;
    }
    const message = `no complete request line within ${seconds} s; closing the connection`;
    this.ctx.onLineTimeout(this.peer, message);
    this.closeWith('timeout', message);
  }

  /** Sends one error line and closes for good: the descriptor is freed once the line is out, even if the client never closes its side. */
  private closeWith(code: HelperErrorCode, message: string): void {
    this.closing = true;
    this.disarm();
    if (this.socket.destroyed) return;
    if (this.socket.writableEnded) {
      this.socket.destroy();
      return;
    }
    this.socket.end(`${JSON.stringify(errorResponse(null, code, message))}\n`, () => this.socket.destroy());
  }
}
