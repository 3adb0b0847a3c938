// Bytes in: an arrival is sliced and fed to a lent parser; the parser's callbacks (onHead,
// onBody, onMessageComplete) make the request, check its head, and gather its body — into one
// Buffer, or straight from the kernel into it (readTarget) — and hand it to dispatch.
import { Buffer } from 'node:buffer';
import { errorCode, statusForError } from '../../parser/errors.js';
import type { RequestHead } from '../../parser/types.js';
import { addSize, growCapacity } from './limits.js';
import { Request } from './request.js';
import { Response, RESPONSE_KEEP_ALIVE, RESPONSE_TO_HEAD, RESPONSE_TO_HTTP10 } from './response.js';
import { fieldCount, fieldNameIs, fieldNameLength, fieldValue, headRuleStatus, validateHead } from './validate.js';
import { CloseState, EMPTY, Phase, ReadState, UpgradeState, stopReading, type ConnectionState } from './connection-state.js';
import { takesUpgrade } from './upgrade.js';

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/**
 * Heads are parsed in slices of about this many bytes, so that a pause (maxPipeline reached,
 * output backlog) takes effect inside one arrival: 64 KiB of tiny pipelined requests must not all
 * be admitted at once. A slice ends where a head ends (the first CR LF CR LF from this many bytes
 * on, see sliceEnd), so a head is not cut in two: a cut head is read byte by byte and its
 * strings joined, which made 450-byte browser heads cost half again as much. Bodies are parsed whole.
 */
const HEAD_SLICE = 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** Where the slice of `data` from `pos` ends: after the first head end from pos + HEAD_SLICE on, else `end`. */
function sliceEnd(data: Buffer, pos: number, end: number): number {
  if (end - pos <= HEAD_SLICE) return end;
  const at = data.indexOf(HEAD_END, pos + HEAD_SLICE - 4);
  return at < 0 ? end : at + 4;
}
/**
 * A declared body with at least this much still to come is read straight into its Buffer on the
 * raw handle (readTarget): the kernel copies it there, instead of into the shared read buffer
 * and then from there (one copy of every byte fewer, and fewer, larger reads).
 */
const DIRECT_BODY = 16 * 1024;

/** Parse one arrival. The loop calls this between beginBatch() and endBatch(). */
export function feed(conn: ConnectionState, data: Buffer): void {
  if (conn.closeState !== CloseState.Open) return;
  conn.feeding = true;
  const end = data.length;
  let pos = 0;
  while (pos < end) {
    const stop = conn.reading === null ? sliceEnd(data, pos, end) : end;
    const rest = parse(conn, pos === 0 && stop === end ? data : data.subarray(pos, stop));
    pos = stop;
    if (conn.closeState !== CloseState.Open) {
      // An upgrade request ended in this slice: every byte after it, to the end of the arrival,
      // is the new protocol's.
      if (rest >= 0) upgradeArrived(conn, data.subarray(stop - rest));
      break;
    }
    if (conn.readState >= ReadState.Paused && pos < end) {
      // Reading paused inside this arrival: keep a copy of the rest for resume() (the edge
      // loop's read buffer is reused by the next read).
      conn.held = Buffer.from(data.subarray(pos));
      break;
    }
  }
  conn.feeding = false;
  // A pause and its resume both happened during this feed: let the loop read again.
  if (conn.loopHeld && conn.readState < ReadState.Paused) {
    conn.loopHeld = false;
    conn.core.loop.resume(conn);
  }
}

/** Returns -1, or after a complete request for core.upgrade the count of bytes of `data` after it. */
function parse(conn: ConnectionState, data: Buffer): number {
  const core = conn.core;
  if (conn.phase === Phase.Idle) {
    conn.phase = Phase.Head;
    conn.phaseStart = core.now;
  }
  let parser = conn.parser;
  if (parser === null) parser = conn.parser = core.parsers.acquire(conn);
  const consumed = parser.execute(data);
  const err = parser.error;
  if (err !== null) {
    if (conn.closeState === CloseState.Open) conn.fail(statusForError(errorCode(err)));
  } else if (parser.upgraded) {
    // The parser stopped after an Upgrade/CONNECT head (onHead made it the last request).
    stopReading(conn);
    if (conn.upgrade === UpgradeState.Waiting && conn.reading === null) return data.length - consumed;
  } else if (conn.reading === null) {
    if (parser.idle === true) {
      // Between messages: the parser goes back to the pool until the next byte arrives.
      conn.parser = null;
      core.parsers.release(parser);
    } else if (parser.idle === false && (conn.phase as Phase) === Phase.Idle) {
      // The arrival ended inside the next head (after a complete request): that head is on
      // the headersTimeout clock from now, not on the keep-alive one.
      conn.phase = Phase.Head;
      conn.phaseStart = core.now;
    }
  }
  return -1;
}

export function onHead(conn: ConnectionState, head: RequestHead): void {
  // After a close is decided nothing more is read as a request (RFC 9112 §9.6).
  if (conn.closeState !== CloseState.Open) return;
  const core = conn.core;
  core.counters.requests++;
  conn.served = true;
  conn.phase = Phase.Body;
  const req = new Request(head, conn);
  const http10 = head.versionMinor === 0 && head.versionMajor === 1;
  const res = new Response(req, conn, (head.keepAlive && !core.closing ? RESPONSE_KEEP_ALIVE : 0) |
    (head.method === 'HEAD' ? RESPONSE_TO_HEAD : 0) | (http10 ? RESPONSE_TO_HTTP10 : 0));
  if (core.accessLog !== null) core.accessLog.begin(res);
  conn.enqueue(res);
  conn.reading = res;
  conn.bodyLength = 0;
  conn.bodyExpected = head.contentLength;
  if (conn.body !== EMPTY) dropBody(conn);

  // RFC 9110 §7.8: a server may ignore Upgrade (and we tunnel no CONNECT). What follows
  // such a head is not HTTP we can read, so the connection closes after the answer.
  if (head.upgrade) res.keepAlive = false;
  let expect: string | undefined;
  const fields = fieldCount(head);
  for (let i = 0; i < fields; i++) {
    if (fieldNameLength(head, i) === 6 && fieldNameIs(head, i, 'expect', 'Expect')) expect = fieldValue(head, i);
  }
  // HTTP/1.x only (505), Host, target form, CL/TE framing (400 when chunked is not final,
  // RFC 9112 §6.3; 501 for a coding we cannot decode, §6.1): the rules a parser leaves to the
  // server (lib/core/validate.ts).
  const broken = validateHead(head, core.caches);
  if (broken !== null) return conn.fail(headRuleStatus(broken));
  if (!core.streamBody && head.contentLength > core.limits.maxBodySize) return conn.fail(413);
  // A declared body that cannot fit in the budget now is refused before any of it is sent
  // (before a 100 Continue); reserveBody() reserves it when its first bytes arrive.
  if (!core.streamBody && head.contentLength > 0 && core.counters.bodyBytes + head.contentLength > core.limits.maxBodyBytes) {
    return overBudget(conn);
  }
  if (expect !== undefined) {
    // RFC 9110 §10.1.1: 100-continue is the only expectation defined; others get 417.
    if (expect.trim().toLowerCase() !== '100-continue') return conn.fail(417);
    // HTTP/1.0 clients do not know 1xx; a body-less request needs no go-ahead.
    if (!http10 && (head.contentLength > 0 || head.chunked)) conn.writeOut(res, CONTINUE);
  }
  if (head.upgrade && core.upgrade !== null && !core.closing && takesUpgrade(head)) {
    // Not for the handler: onMessageComplete leaves it in the queue, handOff() takes it.
    conn.upgrade = UpgradeState.Waiting;
    return;
  }
  if (core.streamBody) {
    req.streaming = true;
    conn.dispatch(res);
  }
}

/**
 * The request for core.upgrade is complete; `rest` is what followed it in this arrival (a view
 * of the read buffer). Reading stops for good here: every later byte is the new protocol's,
 * left in the socket for the upgrade callback.
 */
function upgradeArrived(conn: ConnectionState, rest: Buffer): void {
  if (rest.length > 0) conn.held = Buffer.from(rest);
  conn.upgrade = UpgradeState.Ready;
  conn.pause();
}

export function onBody(conn: ConnectionState, chunk: Buffer): void {
  const res = conn.reading;
  if (res === null || conn.closeState !== CloseState.Open) return;
  const limits = conn.core.limits;
  if (conn.core.streamBody) {
    // Answered already: the rest of this body is read and dropped (keep-alive survives).
    if (res.writableEnded) return;
    const req = res.req as Request;
    // The chunk is a view into the read buffer; the handler may keep it, so copy.
    req.push(Buffer.from(chunk));
    if (req.buffered > limits.highWaterMark) conn.pause();
    return;
  }
  const max = limits.maxBodySize;
  const need = addSize(conn.bodyLength, chunk.length, max);
  if (need < 0) return conn.fail(413); // a chunked body past maxBodySize
  if (need > conn.body.length) {
    // A declared length (already checked against maxBodySize in onHead) is allocated once:
    // no regrowth copies. allocUnsafe leaves the pages untouched, so memory is committed
    // only as bytes arrive. A chunked body grows by doubling.
    if (!reserveBody(conn, conn.bodyExpected >= need ? conn.bodyExpected : growCapacity(conn.body.length, need, max))) {
      return overBudget(conn);
    }
  }
  // (Read straight into place by the handle: nothing to copy.)
  const body = conn.body;
  if (chunk.buffer !== body.buffer || chunk.byteOffset !== body.byteOffset + conn.bodyLength) chunk.copy(body, conn.bodyLength);
  conn.bodyLength = need;
}

/**
 * Where the raw handle's next read should land: the rest of a declared body still to come
 * (at least DIRECT_BODY bytes), straight into the body's Buffer — exactly that much, so every
 * byte read there is body and lands where onBody() would have copied it — or null, the shared
 * read buffer. Not while reading is paused with bytes held back (they come first), nor in
 * streaming mode (the handler gets copies of each piece).
 */
export function readTarget(conn: ConnectionState): Buffer | null {
  const expected = conn.bodyExpected;
  if (conn.reading === null || expected - conn.bodyLength < DIRECT_BODY || conn.held !== null ||
    conn.closeState !== CloseState.Open || conn.readState !== ReadState.Reading || conn.core.streamBody) return null;
  // Over the body budget: the shared buffer, and onBody() answers 503.
  if (conn.body.length < expected && !reserveBody(conn, expected)) return null;
  return conn.body.subarray(conn.bodyLength, expected);
}

/**
 * A body Buffer of `cap` bytes (a size already checked against maxBodySize), keeping what came
 * so far — or false when the server-wide maxBodyBytes budget cannot take the growth.
 */
function reserveBody(conn: ConnectionState, cap: number): boolean {
  const counters = conn.core.counters;
  const more = cap - conn.body.length;
  if (counters.bodyBytes + more > conn.core.limits.maxBodyBytes) return false;
  counters.bodyBytes += more;
  const grown = Buffer.allocUnsafe(cap);
  conn.body.copy(grown, 0, 0, conn.bodyLength);
  conn.body = grown;
  return true;
}

/** The server-wide body budget (maxBodyBytes) cannot take this body: 503 + Retry-After. */
function overBudget(conn: ConnectionState): void {
  conn.core.counters.bodyBudgetRejected++;
  conn.fail(503);
}

/** The body being read is dropped: its buffer's bytes go back to the budget. */
export function dropBody(conn: ConnectionState): void {
  conn.core.counters.bodyBytes -= conn.body.length;
  conn.body = EMPTY;
  conn.bodyLength = 0;
}

export function onMessageComplete(conn: ConnectionState): void {
  const res = conn.reading;
  if (res === null || conn.closeState !== CloseState.Open) return;
  const now = conn.core.now;
  conn.reading = null;
  conn.phase = Phase.Idle;
  conn.phaseStart = now;
  // The last request on this connection: pipelined bytes after it are not read.
  if (!res.keepAlive) {
    conn.closeState = CloseState.Closing;
    if (conn.upgrade !== UpgradeState.None) return; // for core.upgrade (handOff), not the handler
  }
  const req = res.req as Request;
  req.completeAt = now; // handlerTimeout counts from here
  if (req.streaming) {
    req.finish(null);
    return;
  }
  if (conn.bodyLength > 0) {
    req.body = conn.body.length === conn.bodyLength ? conn.body : conn.body.subarray(0, conn.bodyLength);
    // The request holds the budget for its buffer until its response ends (outbox endOut).
    req.bodyReserved = conn.body.length;
    conn.body = EMPTY;
    conn.bodyLength = 0;
  }
  conn.dispatch(res);
}
