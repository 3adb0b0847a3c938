// The timeouts of one connection, decided in one place: checkDeadline(now), which the server's
// sweep (lib/core/server.ts Server.sweep) calls for each connection on every tick. headersTimeout bounds a
// head from its first byte, requestTimeout a request from its first byte (and a stalled writer
// or reader), keepAliveTimeout the wait for the next request, handlerTimeout the handler's
// answer, and the linger deadline a close in progress.
import type { Request } from './request.js';
import type { Response } from './response.js';
import { CloseState, Phase, isQueueEmpty, stopReading, type ConnectionState } from './connection-state.js';

/**
 * After our FIN, how long a peer may keep sending (lingering close) before a hard close; also
 * the hard deadline of a refused connection, counted from its accept (lib/core/admission.ts).
 */
export const LINGER_TIMEOUT = 2_000;

export function checkDeadline(conn: ConnectionState, now: number): void {
  const core = conn.core;
  const ended = conn.closeState >= CloseState.Ended;
  const pending = conn.pendingOut();
  if (pending > 0 && (ended || conn.isIdle())) {
    // The last answers are still leaving (a large body to a slow reader): the idle and
    // linger clocks wait for them. Node shows no progress inside one large write
    // (writableLength drops only when it completes), so only a count that has not moved
    // for a whole requestTimeout means a reader that stopped reading.
    if (pending !== conn.lastPending) {
      conn.lastPending = pending;
      conn.sendMovedAt = now;
    } else if (now - conn.sendMovedAt > core.requestTimeout) {
      conn.destroy();
      return;
    }
    if (ended) conn.endedAt = now;
    else conn.phaseStart = now;
    return;
  }
  conn.lastPending = 0;
  if (ended) {
    if (now - conn.endedAt > LINGER_TIMEOUT) conn.destroy();
    return;
  }
  const handlerDeadline = core.handlerDeadline;
  if (handlerDeadline > 0 && handlerOverdue(conn, now, handlerDeadline)) {
    handlerTimedOut(conn);
    return;
  }
  const age = now - conn.phaseStart;
  switch (conn.phase) {
    case Phase.Idle:
      // Waiting for a first byte; handlers still running are timed by handlerTimeout (above).
      if (conn.isIdle()) {
        if (age > (conn.served ? core.keepAliveTimeout : core.headersTimeout)) timeout(conn);
      } else if (conn.peerEnded && age > core.requestTimeout) {
        // The client sent FIN while a handler runs: it may await the answer (half-close) or
        // be gone, which TCP cannot tell us. requestTimeout bounds the wait, else a handler
        // that never answers would hold the connection until server.close().
        conn.destroy();
      } else if (conn.drainSince > 0 && now - conn.drainSince > core.requestTimeout) {
        // A response has waited in drain() that long: the client reads nothing (slow read).
        // Cut it, or it would hold its connection and a maxConns slot for ever.
        conn.destroy();
      }
      break;
    case Phase.Head:
      if (age > core.headersTimeout) timeout(conn);
      break;
    case Phase.Body:
      if (age > core.requestTimeout) timeout(conn);
      break;
  }
}

/**
 * The oldest response still due has not sent its head `limit` ms after its request was
 * complete (handlerTimeout). Once the head is out a response is streaming, and only the drain
 * wait (a client that does not read) bounds it.
 */
function handlerOverdue(conn: ConnectionState, now: number, limit: number): boolean {
  const queue = conn.queue;
  if (queue === null || queue.length === 0 || conn.closeState === CloseState.Closed) return false;
  const res = queue[0];
  if (res.headersSent) return false;
  const req = res.req as Request | null;
  return req !== null && req.completeAt > 0 && now - req.completeAt > limit;
}

/**
 * handlerTimeout passed: answer 503 (RFC 9110 §15.6.4) in the handler's place with
 * `Connection: close` — the handler may still hold state for this request — and abort
 * req.signal. The handler's later end() is ignored (and write() throws, as after any end()).
 */
function handlerTimedOut(conn: ConnectionState): void {
  const res = (conn.queue as Response[])[0];
  conn.core.counters.handlerTimeouts++;
  // What the handler set was meant for its own answer, not this one. This runs in the sweep:
  // nothing may throw out of it; if answering fails after all, the connection is cut.
  try {
    for (const name of Object.keys(res.getHeaders())) res.removeHeader(name);
    res.resetForEngineAnswer();
    res.keepAlive = false;
    res.statusCode = 503;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('Service Unavailable\n');
  } catch {
    conn.destroy();
  }
  // After the answer: an abort listener that answers itself finds the response ended.
  (res.req as Request).abort(new DOMException('the handler did not answer within handlerTimeout', 'TimeoutError'));
}

/** A head, body or keep-alive timeout fired: 408 when a request is being received, else close. */
function timeout(conn: ConnectionState): void {
  conn.core.counters.timeouts++;
  if (conn.phase === Phase.Idle) {
    stopReading(conn);
    if (isQueueEmpty(conn)) conn.finishClose();
    return;
  }
  conn.fail(408);
}
