import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long and how much of a refused upload is read and thrown away before the socket is cut. */
export interface LingerBounds {
  /** From the refusal to the cut, however fast the client sends (nginx lingering_time: 30 s). */
  maxTimeMs: number;
  /** The longest wait for the client's next bytes (nginx lingering_timeout: 5 s). */
  idleTimeoutMs: number;
  /** Body bytes discarded at most; beyond, the client is not listening (8× the router's 32 MiB limit). */
  maxBytes: number;
}

/**
 * nginx's values for the times. A client that reads its socket (undici, the openai SDK, curl)
 * stops within milliseconds of the answer and ends the linger itself; the bounds only matter for
 * one that keeps writing: 30 s lets a 33 MiB upload finish over a 10 Mbit/s link, 256 MiB caps
 * what a fast one costs us, and 5 s of silence means it has stopped. A lingering socket is
 * unref'd and server.closeAllConnections() ends it, so none of this delays a shutdown.
 */
export const LINGER_BOUNDS: LingerBounds = { maxTimeMs: 30_000, idleTimeoutMs: 5_000, maxBytes: 256 * 1024 * 1024 };

const lingering = new WeakSet<Socket>();

/**
 * nginx's "lingering close" for a request refused before its body was read (413, a body-size
 * 400): call it when refusing, before answering or right after `res.end()` (before the response's
 * 'finish', which comes later), instead of `req.resume()`.
 *
 * Why: for a `connection: close` response, Node's http server calls `socket.destroySoon()` when
 * the response is written (lib/_http_server.js resOnFinish), which closes the fd as soon as our
 * FIN is out. The kernel answers the upload still in flight (and any unread bytes) with a RST, so
 * a client still writing gets EPIPE/ECONNRESET, often before it has read the answer. We take over
 * that one call for this socket (destroySoon is old and stable, but not documented; if Node ever
 * stops calling it, test/integration/router-413.test.ts fails).
 *
 * What it does: discards the rest of the body (`req.resume()`). When Node closes the connection,
 * it half-closes instead (FIN after the response, the read side stays open) and keeps discarding;
 * the socket is destroyed once the client has sent its whole body or its FIN, or when a bound of
 * `bounds` is hit. A keep-alive response instead leaves the connection to Node once the body has
 * been read (it stays reusable); the bounds still cut an endless upload. Timers are unref'd and
 * cleared when the socket closes.
 */
export function lingerClose(req: IncomingMessage, bounds: LingerBounds = LINGER_BOUNDS): void {
  req.resume();
  const socket = req.socket as Socket | null;
  if (!socket || req.complete || socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  let discarded = 0;
  let closing = false;
  const cut = (): void => {
    socket.destroy();
  };
  const total = setTimeout(cut, bounds.maxTimeMs).unref();
  const idle = setTimeout(cut, bounds.idleTimeoutMs).unref();
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > bounds.maxBytes) cut();
    else idle.refresh();
  };
  // The client is done sending: the whole body came, or its FIN.
  const onDone = (): void => {
    stop();
    // Node's own destroySoon: close once our FIN is out (nothing unread is left to cause a RST).
    if (closing) socket.destroySoon();
  };
  const stop = (): void => {
    clearTimeout(total);
    clearTimeout(idle);
    req.off('data', onData);
    req.off('end', onDone);
    socket.off('end', onClientFin);
    socket.off('close', stop);
    // Back to the prototype's method; a keep-alive connection goes on as Node runs it.
    delete (socket as Partial<Socket>).destroySoon;
    lingering.delete(socket);
  };
  const onClientFin = (): void => {
    if (closing) onDone();
  };
  // Node calls this once the `connection: close` response is written: half-close and linger.
  socket.destroySoon = (): void => {
    closing = true;
    socket.unref();
    socket.end();
  };
  req.on('data', onData);
  req.on('end', onDone);
  socket.on('end', onClientFin);
  socket.on('close', stop);
}
