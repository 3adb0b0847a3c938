// The handler call, and the answers the engine gives in a handler's place: to bad input
// (fail: 400, 408, 413, 503 …, then close), to a handler that throws or rejects (500, or the
// HttpError's own status), and what becomes of requests that will never be answered (abandon).
import { errorStatus } from './http-error.js';
import { RequestBodyError, type Request } from './request.js';
import { Response, RESPONSE_CLOSE } from './response.js';
import { CloseState, stopReading, type ConnectionState } from './connection-state.js';

/**
 * Seconds a client turned away for a passing shortage (maxConns, maxBodyBytes) is told to wait
 * before trying again (Retry-After, RFC 9110 §10.2.3).
 */
export const RETRY_AFTER = 1;

export function dispatch(conn: ConnectionState, res: Response): void {
  res.started = true;
  let ret: unknown;
  try {
    ret = conn.core.handler(res.req, res);
    // Inside the try: a custom thenable's then() (or a `then` getter) may throw too.
    if (ret !== undefined && ret !== null && typeof (ret as Promise<unknown>).then === 'function') {
      (ret as Promise<unknown>).then(undefined, (err: unknown) => handlerFailed(conn, res, err));
    }
  } catch (err) {
    handlerFailed(conn, res, err);
  }
}

/**
 * A handler threw or rejected. Reading the thrown value can throw again (a `status` getter,
 * a Proxy): then the connection is cut, rather than an exception escaping into the socket's
 * event (a crash) or an unhandled rejection.
 */
function handlerFailed(conn: ConnectionState, res: Response, err: unknown): void {
  try {
    answerFailure(conn, res, err);
  } catch {
    conn.destroy();
  }
}

/** 500 if nothing was sent, else cut the connection. */
function answerFailure(conn: ConnectionState, res: Response, err: unknown): void {
  // An error carrying a 4xx status (HttpError from the body parsers, say) is the app's
  // answer to a bad request, not a fault: answer it with that status and its message.
  const status = errorStatus(err);
  if (status === undefined || status >= 500) {
    conn.core.counters.handlerErrors++;
    conn.core.onHandlerError(err);
  }
  if (conn.closeState === CloseState.Closed || res.writableEnded) return; // answered before failing: nothing to undo
  if (status !== undefined && !res.headersSent) {
    res.statusCode = status;
    const extra = (err as { headers?: Record<string, string> }).headers;
    try {
      if (extra !== null && typeof extra === 'object') for (const name of Object.keys(extra)) res.setHeader(name, extra[name]);
    } catch {
      // an invalid extra header is dropped, the status still goes out
    }
    // The handler's (or the error's) Content-Length / Transfer-Encoding / reason phrase would
    // misframe this answer.
    res.resetForEngineAnswer();
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    const message = (err as { message?: unknown }).message;
    res.end((status < 500 && typeof message === 'string' ? message : res.statusMessage) + '\n');
    return;
  }
  if (!res.headersSent) {
    res.keepAlive = false;
    stopReading(conn);
    res.resetForEngineAnswer();
    res.statusCode = 500;
    res.end('Internal Server Error');
    return;
  }
  conn.destroy();
}

/**
 * Answer bad input with `status` and `Connection: close`, in order after the responses
 * already in flight, then close once it is flushed.
 */
export function fail(conn: ConnectionState, status: number): void {
  if (conn.closeState !== CloseState.Open) return;
  conn.closeState = CloseState.Closing;
  // Every answer the engine gives to bad bytes counts (timeouts are counted apart).
  if (status !== 408 && status !== 503) conn.core.counters.parseErrors++;
  let res = conn.reading;
  conn.reading = null;
  if (res !== null && res.headersSent) {
    // A streaming handler already answered part of this request: nothing sane to add.
    (res.req as Request).finish(new RequestBodyError('WAFER_REQUEST_FAILED', status));
    conn.destroy();
    return;
  }
  if (res === null) {
    res = new Response(null as never, conn, RESPONSE_CLOSE);
    conn.enqueue(res);
  } else if (res.started) (res.req as Request).finish(new RequestBodyError('WAFER_REQUEST_FAILED', status));
  res.started = true;
  res.keepAlive = false;
  // This runs in a socket event: whatever a streaming handler left on the response must not
  // throw out of it (a crash); if answering fails after all, the connection is cut.
  try {
    res.resetForEngineAnswer();
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    // 503 is a passing shortage (the body budget): say when to try again (RFC 9110 §10.2.3).
    if (status === 503) res.setHeader('Retry-After', RETRY_AFTER);
    res.end(res.statusMessage + '\n');
  } catch {
    conn.destroy();
  }
}

/**
 * `res` will not be (fully) answered on this connection: its request's body goes back to the
 * budget, and a handler still at work hears it on req.signal.
 */
export function abandon(conn: ConnectionState, res: Response): void {
  const req = res.req as Request | null;
  if (req === null) return; // the engine's own answer
  if (req.bodyReserved > 0) returnBody(conn, req);
  if (res.started && !res.writableEnded) req.abort(new DOMException('the client connection closed', 'AbortError'));
}

/** A request's body buffer goes back to the server-wide budget (maxBodyBytes). */
export function returnBody(conn: ConnectionState, req: Request): void {
  conn.core.counters.bodyBytes -= req.bodyReserved;
  req.bodyReserved = 0;
}
